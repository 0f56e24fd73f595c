// The workspace page: asks /app/api with Telegram's init data (or a browser
// session from a one-time /workspace link) and draws each view with uPlot.
"use strict";

const tg = window.Telegram ? window.Telegram.WebApp : null;
const SESSION_KEY = "refbot-workspace-session";
const SEGMENT_COLOURS = ["#2a7ae2", "#e2772a", "#2e9d5b", "#b0399a", "#c9a21b", "#5b5fd6"];

const WORDS = {
  ru: {
    title: "Рабочее место", overview: "Динамика", cohorts: "Когорты", structure: "Структура клиентов",
    segments: "Сегменты", churn: "Риск оттока", peers: "Сравнение с рынком", insights: "Инсайты",
    funnel: "Воронка лидов", m_segments: "Сегменты и аудитория", m_surveys: "Опросы",
    partner: "Партнёр", marketer: "Маркетолог", revenue: "Выручка", purchases: "Покупки",
    average_check: "Средний чек", frequency: "Покупок на клиента", visits: "Визитов за 30 дней", buyers: "Покупатели",
    new: "Новые", returning: "Вернувшиеся", previous: "к прошлому периоду", hidden: "скрыто",
    day: "по дням", week: "по неделям", month: "по месяцам", from: "с", to: "по",
    cohort: "Когорта", size: "Размер", computed: "Посчитано", no_snapshot: "Данные ещё не посчитаны: запустите refbot analytics refresh.",
    age_band: "Возраст", income_band: "Доход", region: "Регион", rfm: "RFM-группы",
    members: "Клиенты", share: "Доля выручки", regulars: "Постоянные клиенты", weekday: "По дням недели",
    month_of_year: "По месяцам", retention: "Удержание месяц к месяцу", ltv: "LTV",
    ltv_note: "LTV = средний чек × покупок в активный месяц × ожидаемое число активных месяцев (1 / (1 − удержание месяц к месяцу), удержание не выше 0,95).",
    scatter_note: "Каждая точка — клиент: частота визитов (в 30 дней) и средний чек; при наведении видны только диапазоны профиля.",
    risk: "Риск", value: "Ценность за год", reasons: "Причины", profile: "Профиль",
    churn_note: "Причины — точные слагаемые логарифма шансов логистической регрессии (коэффициент × стандартизованное значение); показаны три, сильнее всего повышающие риск.",
    peers_note: "Процентиль — доля партнёров той же категории с меньшим значением (за 90 дней). Никто не назван; показывается от 5 партнёров.",
    peers_few: "В категории меньше 5 партнёров: сравнение не показывается.",
    growth: "Рост выручки", percentile: "Процентиль", category: "Категория",
    no_insights: "Изменений сверх обычного шума нет.", insights_note: "Неделя сравнивается с четырьмя предыдущими: изменение больше двух стандартных отклонений и не меньше 5%.",
    stage: "Этап", count: "Количество", offered: "Предложено", accepted: "Принято", delivered: "Передано",
    won: "Сделка", lost: "Отказ", conversion: "Конверсия", arppu: "ARPPU", reviews: "Отзывы",
    service: "Услуга", average: "Средняя оценка", audience: "Аудитория", segment: "Сегмент",
    all_members: "Все клиенты", check_audience: "Размер аудитории", enough: "достаточно", not_enough: "меньше минимума",
    survey: "Опрос", status: "Статус", queued: "В очереди", sent: "Отправлено", answered: "Ответили",
    results: "Результаты", respondents: "Ответивших", csv: "CSV", skipped: "Не посчитано",
    company: "Компания", floor_note: "Значения меньше {n} клиентов скрыты.", profiles: "Профили сегментов",
    error_auth: "Нет доступа", mean: "Среднее",
  },
  en: {
    title: "Workspace", overview: "Growth", cohorts: "Cohorts", structure: "Client structure",
    segments: "Segments", churn: "Churn risk", peers: "Peers", insights: "Insights",
    funnel: "Lead funnel", m_segments: "Segments and audience", m_surveys: "Surveys",
    partner: "Partner", marketer: "Marketer", revenue: "Revenue", purchases: "Purchases",
    average_check: "Average check", frequency: "Purchases per buyer", visits: "Visits per 30 days", buyers: "Buyers",
    new: "New", returning: "Returning", previous: "vs the previous period", hidden: "hidden",
    day: "by day", week: "by week", month: "by month", from: "from", to: "to",
    cohort: "Cohort", size: "Size", computed: "Computed", no_snapshot: "Not computed yet: run refbot analytics refresh.",
    age_band: "Age", income_band: "Income", region: "Region", rfm: "RFM groups",
    members: "Members", share: "Revenue share", regulars: "Regular customers", weekday: "By weekday",
    month_of_year: "By month", retention: "Month-to-month retention", ltv: "LTV",
    ltv_note: "LTV = average check × purchases per active month × expected active months (1 / (1 − month-to-month retention), retention capped at 0.95).",
    scatter_note: "Each point is a member: visits per 30 days against the average check; hovering shows only the profile bands.",
    risk: "Risk", value: "Value, last year", reasons: "Reasons", profile: "Profile",
    churn_note: "Reasons are the exact log-odds terms of a logistic regression (coefficient × standardised value); the three that raise the risk most are shown.",
    peers_note: "A percentile is the share of partners in the same category with a lower value (last 90 days). Nobody is named; shown from 5 partners.",
    peers_few: "Fewer than 5 partners in the category: no comparison is shown.",
    growth: "Revenue growth", percentile: "Percentile", category: "Category",
    no_insights: "Nothing moved beyond its usual noise.", insights_note: "The last week against the four before it: a change over two standard deviations and at least 5%.",
    stage: "Stage", count: "Count", offered: "Offered", accepted: "Accepted", delivered: "Delivered",
    won: "Won", lost: "Lost", conversion: "Conversion", arppu: "ARPPU", reviews: "Reviews",
    service: "Service", average: "Average rating", audience: "Audience", segment: "Segment",
    all_members: "All members", check_audience: "Audience size", enough: "enough", not_enough: "under the minimum",
    survey: "Survey", status: "Status", queued: "Queued", sent: "Sent", answered: "Answered",
    results: "Results", respondents: "Respondents", csv: "CSV", skipped: "Not computed",
    company: "Company", floor_note: "Figures under {n} members are hidden.", profiles: "Segment profiles",
    error_auth: "No access", mean: "Mean",
  },
};
const RFM_NAMES = {
  ru: { champions: "Чемпионы", loyal: "Лояльные", new: "Новые", promising: "Перспективные", at_risk: "Под угрозой", lost: "Потерянные" },
  en: { champions: "Champions", loyal: "Loyal", new: "New", promising: "Promising", at_risk: "At risk", lost: "Lost" },
};
const WEEKDAYS = { ru: ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"], en: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] };

const state = { lang: "ru", me: null, company: null, stack: [], auth: null };
const el = (id) => document.getElementById(id);
const t = (key) => (WORDS[state.lang][key] || WORDS.ru[key] || key);

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "onclick") node.addEventListener("click", value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// -- formatting ---------------------------------------------------------------
const locale = () => (state.lang === "en" ? "en-GB" : "ru-RU");
function num(value, digits = 0) {
  if (value === null || value === undefined) return "—";
  return Number(value).toLocaleString(locale(), { maximumFractionDigits: digits });
}
const money = (minor) => (minor === null || minor === undefined ? "—" : num(minor / 100) + " ₽");
const pct = (share, digits = 0) => (share === null || share === undefined ? "—" : num(share * 100, digits) + "%");

// -- talking to the server ----------------------------------------------------
async function authorise() {
  if (tg && tg.initData) return "tma " + tg.initData;
  const hash = new URLSearchParams(location.hash.slice(1));
  const link = hash.get("link");
  if (link) {
    history.replaceState(null, "", location.pathname);
    const answer = await fetch("/app/api/session", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ link }),
    });
    const body = await answer.json();
    if (!answer.ok) throw new Error(body.message || answer.statusText);
    sessionStorage.setItem(SESSION_KEY, body.session);
  }
  const session = sessionStorage.getItem(SESSION_KEY);
  if (session) return "session " + session;
  throw new Error(state.lang === "en" ? "Open the workspace from the bot (menu button or /workspace)." : "Откройте рабочее место из бота (кнопка меню или /workspace).");
}

async function api(path) {
  const answer = await fetch("/app/api" + path, { headers: { Authorization: state.auth } });
  if (!answer.ok) {
    let message = answer.statusText;
    try { message = (await answer.json()).message || message; } catch (error) { /* not JSON */ }
    throw new Error(answer.status + ": " + message);
  }
  return answer.json();
}

async function downloadCsv(path, filename) {
  const separator = path.includes("?") ? "&" : "?";
  const answer = await fetch("/app/api" + path + separator + "format=csv", { headers: { Authorization: state.auth } });
  if (!answer.ok) return showError(answer.status + ": " + answer.statusText);
  const url = URL.createObjectURL(await answer.blob());
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function showError(message) {
  const box = el("error");
  box.textContent = message;
  box.hidden = false;
}

// -- building blocks ----------------------------------------------------------
function figure(label, value, change) {
  const node = h("div", { class: "figure" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
  if (change !== null && change !== undefined) {
    node.append(h("div", { class: "change " + (change >= 0 ? "up" : "down") }, (change >= 0 ? "+" : "") + pct(change, 1) + " " + t("previous")));
  }
  return node;
}

function table(columns, rows, csv) {
  const head = h("tr", {}, columns.map((c) => h("th", {}, c.label)));
  const body = rows.map((row) => h("tr", {}, columns.map((c) => {
    const cell = c.cell ? c.cell(row) : row[c.key];
    return cell instanceof Node ? cell : h("td", {}, cell === null || cell === undefined ? "—" : cell);
  })));
  const wrap = h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), h("tbody", {}, body)));
  if (!csv) return wrap;
  return h("div", {}, h("button", { class: "csv", type: "button", onclick: () => downloadCsv(csv.path, csv.file) }, t("csv")), wrap);
}

function chartBox() {
  return h("div", { class: "chart" });
}

function chartWidth(box) {
  return Math.max(280, Math.min(920, (box.parentElement || document.body).clientWidth || window.innerWidth - 24));
}

function lineChart(box, xs, series) {
  const options = {
    width: chartWidth(box), height: 220,
    scales: { x: { time: true } },
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: SEGMENT_COLOURS[i], width: 2, spanGaps: false }))],
    axes: [{ stroke: getComputedStyle(document.body).color }, { stroke: getComputedStyle(document.body).color, size: 70 }],
  };
  return new uPlot(options, [xs, ...series.map((s) => s.values)], box);
}

function barChart(box, labels, series) {
  const bars = uPlot.paths.bars({ size: [0.6, 60] });
  const options = {
    width: chartWidth(box), height: 200,
    scales: { x: { time: false } },
    series: [{ value: (u, v) => labels[v] ?? "" }, ...series.map((s, i) => ({ label: s.label, fill: SEGMENT_COLOURS[i], stroke: SEGMENT_COLOURS[i], paths: bars, points: { show: false } }))],
    axes: [
      { stroke: getComputedStyle(document.body).color, values: (u, ticks) => ticks.map((v) => labels[v] ?? ""), splits: () => labels.map((_, i) => i) },
      { stroke: getComputedStyle(document.body).color, size: 70 },
    ],
  };
  return new uPlot(options, [labels.map((_, i) => i), ...series.map((s) => s.values)], box);
}

// A scatter in uPlot's ordinary mode: points sorted by x, one series per
// segment holding y where the point is its own and null elsewhere.
function scatterChart(box, points, names) {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const xs = sorted.map((p) => p[0]);
  const segmentsSeen = [...new Set(sorted.map((p) => p[2]))].sort();
  const tooltip = el("tooltip");
  const options = {
    width: chartWidth(box), height: 300,
    scales: { x: { time: false } },
    cursor: { points: { show: false } },
    legend: { show: true, live: false },
    series: [{ label: t("visits") }, ...segmentsSeen.map((s) => ({
      label: names[s] || String(s), stroke: SEGMENT_COLOURS[s % SEGMENT_COLOURS.length],
      fill: SEGMENT_COLOURS[s % SEGMENT_COLOURS.length], paths: () => null,
      points: { show: true, size: 5, fill: SEGMENT_COLOURS[s % SEGMENT_COLOURS.length] },
    }))],
    axes: [{ stroke: getComputedStyle(document.body).color, label: t("visits") }, { stroke: getComputedStyle(document.body).color, size: 70, label: t("average_check") + ", ₽" }],
    hooks: {
      setCursor: [(u) => {
        const i = u.cursor.idx;
        if (i === null || i === undefined || u.cursor.left < 0) { tooltip.hidden = true; return; }
        const p = sorted[i];
        const rect = u.over.getBoundingClientRect();
        tooltip.textContent = (names[p[2]] || "") + ": " + p[3];
        tooltip.style.left = rect.left + u.cursor.left + 12 + "px";
        tooltip.style.top = rect.top + u.cursor.top + 12 + "px";
        tooltip.hidden = false;
      }],
    },
  };
  const data = [xs, ...segmentsSeen.map((s) => sorted.map((p) => (p[2] === s ? p[1] : null)))];
  return new uPlot(options, data, box);
}

function section(name, ...children) {
  return h("section", { "data-view": name }, children);
}

function computedNote(payload) {
  if (!payload.computed_at) return h("p", { class: "note" }, t("no_snapshot"));
  return h("p", { class: "note" }, t("computed") + ": " + new Date(payload.computed_at).toLocaleString(locale()) + ". " + t("floor_note").replace("{n}", payload.floor));
}

// -- the views ----------------------------------------------------------------
const company = () => state.company;
const VIEWS = {};

VIEWS.overview = async (root, params = {}) => {
  const query = new URLSearchParams({ granularity: params.granularity || "week" });
  if (params.start) query.set("start", params.start);
  if (params.end) query.set("end", params.end);
  const data = await api(`/companies/${company()}/overview?${query}`);
  const grain = h("select", {}, ["day", "week", "month"].map((g) => {
    const option = h("option", { value: g }, t(g));
    if (g === data.granularity) option.selected = true;
    return option;
  }));
  const start = h("input", { type: "date", value: data.start });
  const end = h("input", { type: "date", value: data.end });
  const reload = () => render("overview", { granularity: grain.value, start: start.value, end: end.value }, true);
  [grain, start, end].forEach((control) => control.addEventListener("change", reload));
  const totals = data.totals;
  const figures = h("div", { class: "figures" },
    figure(t("revenue"), money(totals.revenue_minor.current), totals.revenue_minor.change),
    figure(t("purchases"), num(totals.purchases.current), totals.purchases.change),
    figure(t("average_check"), money(totals.average_check_minor.current), totals.average_check_minor.change),
    figure(t("frequency"), num(totals.frequency.current, 2), totals.frequency.change),
    figure(t("buyers"), num(totals.buyers.current), totals.buyers.change),
    figure(t("new"), num(totals.new.current), totals.new.change));
  const xs = data.series.map((row) => Date.parse(row.bucket.length === 7 ? row.bucket + "-01" : row.bucket) / 1000);
  const revenueBox = chartBox();
  const buyersBox = chartBox();
  root.append(section("overview",
    h("div", { class: "controls" }, grain, h("span", {}, t("from")), start, h("span", {}, t("to")), end),
    figures, h("h3", {}, t("revenue")), revenueBox, h("h3", {}, t("buyers")), buyersBox,
    table([{ label: "", key: "bucket" }, { label: t("revenue"), cell: (r) => h("td", {}, money(r.revenue_minor)) },
      { label: t("purchases"), key: "purchases" }, { label: t("buyers"), key: "buyers" },
      { label: t("new"), key: "new" }, { label: t("returning"), key: "returning" },
      { label: t("average_check"), cell: (r) => h("td", {}, money(r.average_check_minor)) }],
    data.series, { path: `/companies/${company()}/overview?${query}`, file: "overview.csv" }),
    h("p", { class: "note" }, t("floor_note").replace("{n}", data.floor))));
  lineChart(revenueBox, xs, [{ label: t("revenue"), values: data.series.map((r) => (r.revenue_minor === null ? null : r.revenue_minor / 100)) }]);
  lineChart(buyersBox, xs, [
    { label: t("new"), values: data.series.map((r) => r.new) },
    { label: t("returning"), values: data.series.map((r) => r.returning) }]);
};

async function snapshotView(name) {
  return api(`/companies/${company()}/${name}`);
}

VIEWS.cohorts = async (root) => {
  const payload = await snapshotView("cohorts");
  const rows = payload.data || [];
  const width = Math.max(0, ...rows.map((r) => r.cells.length));
  const columns = [{ label: t("cohort"), key: "cohort" }, { label: t("size"), key: "size" },
    ...Array.from({ length: width }, (_, k) => ({ label: "+" + k, cell: (r) => heat(r.cells[k]) }))];
  root.append(section("cohorts", computedNote(payload),
    table(columns, rows, { path: `/companies/${company()}/cohorts`, file: "cohorts.csv" })));
};

function heat(share) {
  if (share === undefined) return h("td", {}, "");
  if (share === null) return h("td", {}, "—");
  const cell = h("td", { class: "heat" }, pct(share));
  cell.style.background = `rgba(42, 122, 226, ${0.15 + 0.85 * share})`;
  return cell;
}

function groupTable(rows, nameOf, csv) {
  return table([
    { label: "", cell: (r) => h("td", {}, nameOf ? nameOf(r.group) : r.group) },
    { label: t("members"), key: "members" },
    { label: t("revenue"), cell: (r) => h("td", {}, money(r.revenue_minor)) },
    { label: t("share"), cell: (r) => h("td", {}, pct(r.revenue_share)) },
    { label: t("average_check"), cell: (r) => h("td", {}, money(r.average_check_minor)) },
  ], rows, csv);
}

VIEWS.structure = async (root) => {
  const payload = await snapshotView("structure");
  const data = payload.data;
  const node = section("structure", computedNote(payload));
  root.append(node);
  if (!data) return;
  const path = (table) => ({ path: `/companies/${company()}/structure?table=${table}`, file: `structure-${table}.csv` });
  node.append(h("div", { class: "figures" },
    figure(t("members"), num(data.customers)), figure(t("regulars"), num(data.regulars)),
    figure(t("retention"), pct(data.retention))));
  for (const band of ["age_band", "income_band", "region"]) {
    node.append(h("h3", {}, t(band)), groupTable(data.bands[band], null, path("band_" + band)));
  }
  node.append(h("h3", {}, t("rfm")), groupTable(data.rfm, (g) => RFM_NAMES[state.lang][g] || g, path("rfm")));
  const weekdayBox = chartBox();
  const monthBox = chartBox();
  node.append(h("h3", {}, t("weekday")), weekdayBox, h("h3", {}, t("month_of_year")), monthBox);
  barChart(weekdayBox, WEEKDAYS[state.lang], [{ label: t("revenue"), values: data.seasonality.weekday.map((r) => (r.revenue_minor === null ? null : r.revenue_minor / 100)) }]);
  const months = data.seasonality.month.map((r) => new Date(2000, r.key - 1, 1).toLocaleString(locale(), { month: "short" }));
  barChart(monthBox, months, [{ label: t("revenue"), values: data.seasonality.month.map((r) => (r.revenue_minor === null ? null : r.revenue_minor / 100)) }]);
};

const localName = (names) => (names ? names[state.lang] || names.ru : "—");

VIEWS.segments = async (root) => {
  const payload = await snapshotView("segments");
  const data = payload.data;
  const node = section("segments", computedNote(payload));
  root.append(node);
  if (!data) return;
  if (data.skipped) { node.append(h("p", { class: "note" }, t("skipped") + ": " + data.skipped)); return; }
  const names = Object.fromEntries(data.profiles.map((p) => [p.segment, localName(p.names)]));
  const scatterBox = chartBox();
  node.append(h("h3", {}, t("segments")), scatterBox, h("p", { class: "note" }, t("scatter_note")));
  scatterChart(scatterBox, data.points, names);
  node.append(h("h3", {}, t("revenue") + " · " + t("ltv")), table([
    { label: t("segment"), cell: (r) => h("td", {}, localName(r.names)) },
    { label: t("members"), key: "members" },
    { label: t("revenue"), cell: (r) => h("td", {}, money(r.revenue_minor)) },
    { label: t("share"), cell: (r) => h("td", {}, pct(r.revenue_share)) },
    { label: t("average_check"), cell: (r) => h("td", {}, money(r.average_check_minor)) },
    { label: t("retention"), cell: (r) => h("td", {}, pct(r.retention)) },
    { label: t("ltv"), cell: (r) => h("td", {}, money(r.ltv_minor)) },
  ], data.values, { path: `/companies/${company()}/segments?table=values`, file: "segments.csv" }),
  h("p", { class: "note" }, t("ltv_note")));
};

VIEWS.churn = async (root) => {
  const payload = await snapshotView("churn");
  const data = payload.data;
  const node = section("churn", computedNote(payload));
  root.append(node);
  if (!data) return;
  if (data.skipped) node.append(h("p", { class: "note" }, t("skipped") + ": " + data.skipped));
  node.append(h("div", { class: "figures" }, figure(t("churn"), num(data.at_risk))),
    table([
      { label: t("profile"), cell: (r) => h("td", {}, r.bands) },
      { label: t("segment"), cell: (r) => h("td", {}, localName(r.segment)) },
      { label: t("risk"), cell: (r) => h("td", {}, pct(r.risk)) },
      { label: t("value"), cell: (r) => h("td", {}, money(r.value_minor)) },
      { label: t("reasons"), cell: (r) => h("td", { style: "text-align:left;white-space:normal" }, h("ul", { class: "reasons" }, r.reasons[state.lang].map((w) => h("li", {}, w)))) },
    ], data.members || [], { path: `/companies/${company()}/churn`, file: "churn.csv" }),
    h("p", { class: "note" }, t("churn_note")));
};

VIEWS.peers = async (root) => {
  const payload = await snapshotView("peers");
  const data = payload.data;
  const node = section("peers", computedNote(payload));
  root.append(node);
  if (!data) return;
  if (!data.percentiles) { node.append(h("p", { class: "note" }, t("peers_few"))); return; }
  const labels = { average_check: t("average_check"), frequency: t("frequency"), retention: t("retention"), growth: t("growth") };
  const box = chartBox();
  const keys = Object.keys(labels);
  node.append(h("div", { class: "figures" }, keys.map((k) => figure(labels[k], data.percentiles[k] === null ? "—" : num(data.percentiles[k]) + " / 100"))), box,
    table([{ label: "", cell: (r) => h("td", {}, labels[r.metric]) }, { label: t("percentile"), key: "percentile" }],
      keys.map((k) => ({ metric: k, percentile: data.percentiles[k] })), { path: `/companies/${company()}/peers`, file: "peers.csv" }),
    h("p", { class: "note" }, t("peers_note")));
  barChart(box, keys.map((k) => labels[k]), [{ label: t("percentile"), values: keys.map((k) => data.percentiles[k]) }]);
};

VIEWS.insights = async (root) => {
  const payload = await snapshotView("insights");
  const node = section("insights", computedNote(payload));
  root.append(node);
  const items = payload.data || [];
  if (!items.length) node.append(h("p", {}, t("no_insights")));
  for (const item of items) node.append(h("div", { class: "insight" }, item.words[state.lang]));
  node.append(h("button", { class: "csv", type: "button", onclick: () => downloadCsv(`/companies/${company()}/insights`, "insights.csv") }, t("csv")),
    h("p", { class: "note" }, t("insights_note")));
};

VIEWS.funnel = async (root) => {
  const payload = await snapshotView("funnel");
  const data = payload.data;
  const node = section("funnel", computedNote(payload));
  root.append(node);
  if (!data) return;
  const box = chartBox();
  node.append(h("div", { class: "figures" }, figure(t("conversion"), pct(data.conversion, 1)), figure(t("arppu"), money(data.arppu_minor))), box,
    table([{ label: t("stage"), cell: (r) => h("td", {}, t(r.stage)) }, { label: t("count"), key: "count" }], data.stages,
      { path: `/companies/${company()}/funnel?table=stages`, file: "funnel.csv" }),
    h("h3", {}, t("reviews")),
    table([{ label: t("service"), key: "service" }, { label: t("reviews"), key: "reviews" }, { label: t("average"), key: "average" }], data.reviews,
      { path: `/companies/${company()}/funnel?table=reviews`, file: "reviews.csv" }));
  barChart(box, data.stages.map((s) => t(s.stage)), [{ label: t("count"), values: data.stages.map((s) => s.count) }]);
};

VIEWS.m_segments = async (root) => {
  const data = await api(`/marketer/companies/${company()}/segments`);
  const select = h("select", {}, h("option", { value: "" }, t("all_members")), data.targets.map((s) => h("option", { value: s.segment }, s.segment)));
  const answer = h("div", { class: "figures" });
  const check = async () => {
    const size = await api(`/marketer/companies/${company()}/audience?segment=${encodeURIComponent(select.value)}`);
    answer.replaceChildren(figure(t("check_audience"), size.audience === null ? "< " + size.floor : num(size.audience)),
      figure(t("status"), size.enough ? t("enough") : t("not_enough")));
  };
  select.addEventListener("change", check);
  root.append(section("m_segments", h("div", { class: "controls" }, select), answer,
    table([{ label: t("segment"), key: "segment" }, { label: t("audience"), key: "audience" }], data.targets,
      { path: `/marketer/companies/${company()}/segments`, file: "targets.csv" }),
    h("h3", {}, t("profiles")),
    table([{ label: t("segment"), cell: (r) => h("td", {}, localName(r.names)) }, { label: t("size"), key: "size" },
      { label: t("visits"), key: "frequency" }, { label: t("average_check") + ", ₽", key: "avg_amount" }], data.profiles)));
  await check();
};

VIEWS.m_surveys = async (root) => {
  const data = await api("/marketer/surveys");
  const node = section("m_surveys");
  root.append(node);
  const box = chartBox();
  node.append(table([
    { label: t("survey"), cell: (r) => h("td", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); render("m_survey", { id: r.id }); } }, r.title)) },
    { label: t("status"), key: "status" }, { label: t("queued"), key: "queued" }, { label: t("sent"), key: "sent" },
    { label: t("answered"), key: "answered" }], data.surveys, { path: "/marketer/surveys", file: "surveys.csv" }), box);
  if (data.surveys.length) {
    barChart(box, data.surveys.map((s) => "#" + s.id), [
      { label: t("sent"), values: data.surveys.map((s) => s.sent) }, { label: t("answered"), values: data.surveys.map((s) => s.answered) }]);
  }
};

VIEWS.m_survey = async (root, params) => {
  const node = section("m_survey");
  root.append(node);
  const data = await api(`/marketer/surveys/${params.id}`);
  node.append(h("h3", {}, data.title), h("div", { class: "figures" }, figure(t("respondents"), num(data.respondents))),
    h("button", { class: "csv", type: "button", onclick: () => downloadCsv(`/marketer/surveys/${params.id}`, `survey-${params.id}.csv`) }, t("csv")));
  for (const question of data.questions) {
    node.append(h("h3", {}, question.text));
    if (question.mean !== null) node.append(h("p", {}, t("mean") + ": " + num(question.mean, 2)));
    if (question.counts.length) {
      const box = chartBox();
      node.append(box);
      barChart(box, question.counts.map((c) => c.label), [{ label: "%", values: question.counts.map((c) => c.percent) }]);
    }
  }
};

// -- navigation ---------------------------------------------------------------
function home(root) {
  const partner = state.me.companies.find((c) => c.id === state.company)?.partner;
  const menu = h("div", { class: "menu" });
  if (partner) {
    menu.append(h("h2", {}, t("partner")));
    for (const name of ["overview", "cohorts", "structure", "segments", "churn", "peers", "insights", "funnel"]) {
      menu.append(h("button", { type: "button", "data-open": name, onclick: () => render(name) }, t(name)));
    }
  }
  if (state.me.marketer) {
    menu.append(h("h2", {}, t("marketer")));
    for (const name of ["m_segments", "m_surveys"]) {
      menu.append(h("button", { type: "button", "data-open": name, onclick: () => render(name) }, t(name)));
    }
  }
  root.append(section("home", menu));
}

async function render(name, params = {}, replace = false) {
  if (replace) state.stack.pop();
  if (name !== "home") state.stack.push({ name, params });
  await draw();
}

async function draw() {
  const root = el("view");
  const current = state.stack[state.stack.length - 1];
  root.replaceChildren();
  el("error").hidden = true;
  el("title").textContent = current ? t(current.name) || t("title") : t("title");
  const back = state.stack.length > 0;
  el("back").hidden = !back;
  if (tg && tg.BackButton && tg.isVersionAtLeast && tg.isVersionAtLeast("6.1")) {
    if (back) tg.BackButton.show(); else tg.BackButton.hide();
  }
  try {
    if (!current) home(root);
    else await VIEWS[current.name](root, current.params);
    root.setAttribute("data-ready", current ? current.name : "home");
  } catch (error) {
    showError(error.message);
    root.setAttribute("data-ready", "error");
  }
}

function goBack() {
  state.stack.pop();
  draw();
}

async function start() {
  if (tg) { tg.ready(); tg.expand(); }
  const user = tg && tg.initDataUnsafe ? tg.initDataUnsafe.user : null;
  const code = (user && user.language_code) || navigator.language || "ru";
  state.lang = code.startsWith("en") ? "en" : "ru";
  document.documentElement.lang = state.lang;
  el("back").addEventListener("click", goBack);
  if (tg && tg.BackButton) tg.BackButton.onClick(goBack);
  try {
    state.auth = await authorise();
    state.me = await api("/me");
  } catch (error) {
    el("title").textContent = t("error_auth");
    showError(error.message);
    el("view").setAttribute("data-ready", "error");
    return;
  }
  if (!user) state.lang = state.me.language;
  const visible = state.me.companies.filter((c) => c.partner || state.me.marketer);
  state.company = visible.length ? visible[0].id : null;
  const picker = el("company");
  picker.replaceChildren(...visible.map((c) => h("option", { value: c.id }, c.name)));
  picker.hidden = visible.length < 2;
  picker.addEventListener("change", () => { state.company = Number(picker.value); state.stack = []; draw(); });
  await draw();
}

start();
