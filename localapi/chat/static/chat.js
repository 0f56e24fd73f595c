// The chat page: shows each visitor's chat as the local Bot API server holds it,
// and turns what the person does (typing, pressing, sharing, scanning) into the
// updates a Telegram client would cause, through /chat/api/.
"use strict";

const UI = {
  ru: {
    try: "Попробуйте", bot: "бот", location: "📍 Геопозиция", scan: "📷 Сканировать QR-код",
    placeholder: "Сообщение", pickPlace: "Где вы? Выберите точку на карте или в списке",
    scanTitle: "QR-коды партнёров: наведите камеру", actingAs: "вы —", miniApp: "Мини-приложение",
    failed: "Не получилось", noCommands: "Бот ещё не задал команды",
  },
  en: {
    try: "Things to try", bot: "bot", location: "📍 Location", scan: "📷 Scan a QR code",
    placeholder: "Message", pickPlace: "Where are you? Pick a point on the map or in the list",
    scanTitle: "Partners' QR codes: point the camera", actingAs: "you are",
    miniApp: "Mini App", failed: "That did not work", noCommands: "The bot set no commands yet",
  },
};

const state = {
  config: null,
  visitor: null, // key of the chat on screen
  language: "ru",
  chats: {}, // key -> {messages, answers, commands}
  rendered: {}, // message_id -> JSON of what is on screen (current chat)
  seenMessages: {}, // key -> highest message id seen while on screen
  seenAnswers: {}, // key -> answers already shown
  follow: true, // keep the newest message in view (false once the person scrolls up)
  pinnedAt: 0, // scrollTop where the page last put the newest message in view
};

const $ = (selector) => document.querySelector(selector);

function t(key) {
  return (UI[state.language] || UI.ru)[key];
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ visitor: state.visitor, ...body }),
  };
  const response = await fetch("/chat/api/" + path, options);
  if (!response.ok) {
    toast(`${t("failed")}: ${await response.text()}`);
    throw new Error(`${path}: ${response.status}`);
  }
  return response.json();
}

// -- text with Telegram's entities --------------------------------------------------

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// Plain runs: links and /commands become clickable, as Telegram clients make them.
function linkify(text) {
  return escapeHtml(text).replace(
    /(https?:\/\/[^\s<]+)|(^|\s)(\/[a-z0-9_]{1,32})(?=\s|$|[.,;:!?)])/gi,
    (match, url, space, command) => url
      ? `<a href="${url}" data-link="${url}">${url}</a>`
      : `${space}<a href="#" data-command="${command}">${command}</a>`,
  );
}

const TAGS = {
  bold: ["<b>", "</b>"], italic: ["<i>", "</i>"], underline: ["<u>", "</u>"],
  strikethrough: ["<s>", "</s>"], code: ["<code>", "</code>"], pre: ["<pre>", "</pre>"],
  blockquote: ["<blockquote>", "</blockquote>"], expandable_blockquote: ["<blockquote>", "</blockquote>"],
  spoiler: ['<span class="spoiler">', "</span>"],
};

// Offsets count UTF-16 code units, as JavaScript strings do: slices line up as they are.
function renderText(text, entities) {
  const sorted = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  function build(from, to, list) {
    let out = "";
    let position = from;
    for (let i = 0; i < list.length;) {
      const entity = list[i];
      if (entity.offset < position) { i += 1; continue; }
      const end = entity.offset + entity.length;
      const inner = [];
      for (i += 1; i < list.length && list[i].offset < end; i += 1) {
        if (list[i].offset + list[i].length <= end) inner.push(list[i]);
      }
      out += linkify(text.slice(position, entity.offset));
      const body = build(entity.offset, end, inner);
      if (entity.type === "text_link") {
        out += `<a href="${escapeHtml(entity.url)}" data-link="${escapeHtml(entity.url)}">${body}</a>`;
      } else {
        const [open, close] = TAGS[entity.type] || ["", ""];
        out += open + body + close;
      }
      position = end;
    }
    return out + linkify(text.slice(position, to));
  }
  return build(0, text.length, sorted);
}

// -- messages ----------------------------------------------------------------------

function messageElement(message, mine) {
  const box = document.createElement("div");
  box.className = "msg " + (mine ? "user" : "bot");
  box.dataset.messageId = message.message_id;
  let html = "";
  if (message.photo) {
    const biggest = message.photo[message.photo.length - 1];
    html += `<img class="photo" alt="photo" src="/chat/api/file/${encodeURIComponent(biggest.file_id)}">`;
  }
  if (message.document) {
    const doc = message.document;
    html += `<a class="document" href="/chat/api/file/${encodeURIComponent(doc.file_id)}" download="${escapeHtml(doc.file_name || "file")}">`
      + `<span class="icon">⤓</span><span>${escapeHtml(doc.file_name || "file")}</span></a>`;
  }
  if (message.location) {
    html += `<div class="place">📍 ${message.location.latitude.toFixed(4)}, ${message.location.longitude.toFixed(4)}</div>`;
  }
  if (message.text !== undefined) html += renderText(message.text, message.entities);
  if (message.caption !== undefined) html += renderText(message.caption, message.caption_entities);
  const when = new Date(message.date * 1000);
  const edited = message.edit_date ? "✎ " : "";
  html += `<div class="meta">${edited}${when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}</div>`;
  box.innerHTML = html;
  // A photo gets its height only once loaded: follow it, or the messages
  // after a QR code or a chart would arrive out of sight.
  for (const image of box.querySelectorAll("img")) image.addEventListener("load", followNewest);
  return box;
}

function followNewest() {
  const list = $("#messages");
  if (!state.follow) return;
  list.scrollTop = list.scrollHeight;
  state.pinnedAt = list.scrollTop;
}

function keyboardElement(message) {
  const rows = (message.reply_markup || {}).inline_keyboard;
  if (!rows) return null;
  const keyboard = document.createElement("div");
  keyboard.className = "keyboard";
  keyboard.dataset.messageId = message.message_id;
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = "keyboard-row";
    for (const button of row) {
      const element = document.createElement("button");
      element.type = "button";
      element.className = "inline-button" + (button.url || button.web_app ? " link" : "");
      element.textContent = button.text;
      element.addEventListener("click", () => pressButton(message, button));
      line.appendChild(element);
    }
    keyboard.appendChild(line);
  }
  return keyboard;
}

function renderChat() {
  const chat = state.chats[state.visitor];
  const list = $("#messages");
  if (!chat) return;
  const me = visitorConfig(state.visitor).id;
  const present = new Set();
  let previous = null;
  for (const message of chat.messages) {
    const id = String(message.message_id);
    present.add(id);
    const json = JSON.stringify(message);
    let box = list.querySelector(`.msg[data-message-id="${id}"]`);
    if (state.rendered[id] !== json) {
      const fresh = messageElement(message, message.from && message.from.id === me);
      const keyboard = keyboardElement(message);
      const oldKeyboard = list.querySelector(`.keyboard[data-message-id="${id}"]`);
      if (oldKeyboard) oldKeyboard.remove();
      if (box) box.replaceWith(fresh); else if (previous) previous.after(fresh); else list.prepend(fresh);
      box = fresh;
      if (keyboard) box.after(keyboard);
      state.rendered[id] = json;
    }
    previous = list.querySelector(`.keyboard[data-message-id="${id}"]`) || box;
  }
  for (const element of list.querySelectorAll("[data-message-id]")) {
    if (!present.has(element.dataset.messageId)) {
      element.remove();
      delete state.rendered[element.dataset.messageId];
    }
  }
  followNewest();
  const last = chat.messages.length ? chat.messages[chat.messages.length - 1].message_id : 0;
  state.seenMessages[state.visitor] = last;
}

function showAnswers(key) {
  const answers = state.chats[key].answers;
  const seen = state.seenAnswers[key] || 0;
  if (key === state.visitor) answers.slice(seen).forEach((answer) => toast(answer.text));
  state.seenAnswers[key] = answers.length;
}

function toast(text) {
  const element = document.createElement("div");
  element.className = "toast";
  element.textContent = text;
  $("#toasts").appendChild(element);
  setTimeout(() => element.remove(), 3500);
}

// -- the sidebar: visitors, languages, hints ---------------------------------------------

function visitorConfig(key) {
  return state.config.visitors.find((visitor) => visitor.key === key);
}

function renderSidebar() {
  const box = $("#visitors");
  box.innerHTML = "";
  for (const visitor of state.config.visitors) {
    const chat = state.chats[visitor.key];
    const seen = state.seenMessages[visitor.key] || 0;
    const unread = chat && visitor.key !== state.visitor
      ? chat.messages.filter((m) => m.message_id > seen && m.from && m.from.is_bot).length : 0;
    const element = document.createElement("button");
    element.type = "button";
    element.className = "visitor" + (visitor.key === state.visitor ? " active" : "");
    element.dataset.visitor = visitor.key;
    element.innerHTML = `<span class="avatar">${escapeHtml(visitor.first_name[0])}</span>`
      + `<span class="who"><div>${escapeHtml(visitor.first_name)}</div>`
      + `<div class="role">${escapeHtml(visitor.title[state.language] || visitor.title.ru)}</div></span>`
      + (unread ? `<span class="badge">${unread}</span>` : "");
    element.addEventListener("click", () => switchTo(visitor.key));
    box.appendChild(element);
  }
  const visitor = visitorConfig(state.visitor);
  $("#hint-list").innerHTML = (visitor.hints[state.language] || visitor.hints.ru || [])
    .map((hint) => `<li>${linkify(hint)}</li>`).join("");
  $("#acting-as").textContent = `${t("actingAs")} ${visitor.first_name} · ${visitor.title[state.language] || visitor.title.ru}`;
}

function renderChrome() {
  document.documentElement.lang = state.language;
  for (const element of document.querySelectorAll("[data-text]")) element.textContent = t(element.dataset.text);
  for (const button of document.querySelectorAll("#languages button")) {
    button.classList.toggle("active", button.dataset.language === state.language);
  }
  $("#composer-input").placeholder = t("placeholder");
  renderSidebar();
}

function switchTo(key) {
  state.visitor = key;
  state.follow = true;
  state.rendered = {};
  $("#messages").innerHTML = "";
  closeMenus();
  renderChat();
  $("#messages").scrollTop = $("#messages").scrollHeight;
  renderChrome();
  $("#composer-input").focus();
}

async function setLanguage(language) {
  state.language = language;
  const current = state.visitor;
  for (const visitor of state.config.visitors) {
    state.visitor = visitor.key;
    await api("language", { language });
  }
  state.visitor = current;
  renderChrome();
}

// -- acting ------------------------------------------------------------------------

async function sendText(text) {
  if (!text.trim()) return;
  state.follow = true; // what the visitor does, they want to see answered
  await api("send", { text });
  await refresh();
}

function startPayload(url) {
  const match = /^https?:\/\/t\.me\/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]{1,64})$/.exec(url);
  return match ? match[1] : null;
}

// A t.me deep link opens the bot with its start payload, as in Telegram.
function openLink(url) {
  const payload = startPayload(url);
  if (payload) return sendText(`/start ${payload}`);
  window.open(url, "_blank", "noopener");
  return null;
}

async function pressButton(message, button) {
  if (button.callback_data !== undefined) {
    state.follow = true;
    await api("press", { message_id: message.message_id, data: button.callback_data });
    await refresh();
  } else if (button.url) {
    await openLink(button.url);
  } else if (button.web_app) {
    const { url } = await api("webapp", { url: button.web_app.url });
    openModal(button.text || t("miniApp"), `<iframe src="${escapeHtml(url)}" title="Mini App"></iframe>`, true);
  }
}

function closeMenus() {
  $("#commands-menu").hidden = true;
  $("#attach-menu").hidden = true;
}

function showCommands() {
  const menu = $("#commands-menu");
  const commands = (state.chats[state.visitor] || {}).commands || [];
  menu.innerHTML = commands.length ? "" : `<button type="button" disabled>${t("noCommands")}</button>`;
  for (const command of commands) {
    const element = document.createElement("button");
    element.type = "button";
    element.innerHTML = `<span class="command">/${escapeHtml(command.command)}</span>${escapeHtml(command.description)}`;
    element.addEventListener("click", () => { closeMenus(); sendText("/" + command.command); });
    menu.appendChild(element);
  }
  $("#attach-menu").hidden = true;
  menu.hidden = !menu.hidden;
}

function openModal(title, html, wide = false) {
  $("#modal-title").textContent = title;
  $("#modal-body").innerHTML = html;
  $("#modal-box").classList.toggle("wide", wide);
  $("#modal").hidden = false;
}

function closeModal() {
  $("#modal").hidden = true;
  $("#modal-body").innerHTML = "";
}

// A small map drawn from the places alone (no tiles: nothing leaves this machine).
// Longitude is scaled by cos(latitude), so the city keeps its shape.
function mapSvg(places) {
  const middle = places.reduce((sum, p) => sum + p.latitude, 0) / places.length;
  const squeeze = Math.cos((middle * Math.PI) / 180);
  const xs = places.map((p) => p.longitude * squeeze);
  const ys = places.map((p) => p.latitude);
  const [west, east, south, north] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const width = 600;
  const height = 300;
  const pad = 24;
  const scale = Math.min((width - 2 * pad) / ((east - west) || 1), (height - 2 * pad) / ((north - south) || 1));
  const left = (width - scale * (east - west)) / 2;
  const top = (height - scale * (north - south)) / 2;
  const x = (p) => left + (p.longitude * squeeze - west) * scale;
  const y = (p) => height - top - (p.latitude - south) * scale;
  const grid = [1, 2, 3, 4, 5].map((i) => `<line x1="0" y1="${i * 50}" x2="${width}" y2="${i * 50}" stroke="#dde6d3"/>`
    + `<line x1="${i * 100}" y1="0" x2="${i * 100}" y2="${height}" stroke="#dde6d3"/>`).join("");
  const pins = places.map((place, index) => `<g class="pin" data-place="${index}"><title>${escapeHtml(place.name)}</title>`
    + `<circle cx="${x(place)}" cy="${y(place)}" r="7"/>`
    + `<text x="${x(place) + 9}" y="${y(place) + 4}" text-anchor="${x(place) > width - 160 ? "end" : "start"}"`
    + `${x(place) > width - 160 ? ` dx="-18"` : ""}>${escapeHtml(place.name)}</text></g>`).join("");
  return `<svg class="map" viewBox="0 0 ${width} ${height}" role="img">${grid}${pins}</svg>`;
}

function pickLocation() {
  closeMenus();
  const places = state.config.places;
  const list = places.map((place, index) => `<button type="button" class="place-item" data-place="${index}">`
    + `📍 ${escapeHtml(place.name)}</button>`).join("");
  openModal(t("pickPlace"), (places.length ? mapSvg(places) : "") + list);
  for (const element of document.querySelectorAll("#modal-body [data-place]")) {
    element.addEventListener("click", async () => {
      const place = places[Number(element.dataset.place)];
      closeModal();
      state.follow = true;
      await api("location", { latitude: place.latitude, longitude: place.longitude });
      await refresh();
    });
  }
}

function scanQr() {
  closeMenus();
  const items = state.config.qr_codes.map((code, index) => `<button type="button" class="qr-item" data-qr="${index}">`
    + `▦ ${escapeHtml(code.label)}<div class="code">?start=${escapeHtml(code.payload)}</div></button>`).join("");
  openModal(t("scanTitle"), items);
  for (const element of document.querySelectorAll("#modal-body [data-qr]")) {
    element.addEventListener("click", () => {
      closeModal();
      sendText(`/start ${state.config.qr_codes[Number(element.dataset.qr)].payload}`);
    });
  }
}

// -- polling -----------------------------------------------------------------------

async function refresh() {
  const keys = state.config.visitors.map((visitor) => visitor.key);
  const chats = await Promise.all(keys.map((key) => fetch(`/chat/api/chat/${key}`).then((r) => r.json())));
  keys.forEach((key, index) => { state.chats[key] = chats[index]; showAnswers(key); });
  renderChat();
  renderSidebar();
}

async function poll() {
  try { await refresh(); } catch (error) { console.warn(error); }
  setTimeout(poll, 700);
}

async function main() {
  state.config = await (await fetch("/chat/api/config")).json();
  document.title = state.config.title;
  $("#page-title").textContent = state.config.title;
  $("#bot-name").textContent = state.config.bot.first_name + " · @" + state.config.bot.username;
  $("#bot-avatar").textContent = state.config.bot.first_name[0];
  state.visitor = state.config.visitors[0].key;
  state.language = state.config.visitors[0].language_code === "en" ? "en" : "ru";
  for (const visitor of state.config.visitors) state.seenAnswers[visitor.key] = 0;
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#composer-input");
    const text = input.value;
    input.value = "";
    closeMenus();
    sendText(text);
  });
  $("#menu").addEventListener("click", showCommands);
  $("#attach").addEventListener("click", () => { $("#commands-menu").hidden = true; $("#attach-menu").hidden = !$("#attach-menu").hidden; });
  $("#share-location").addEventListener("click", pickLocation);
  $("#scan-qr").addEventListener("click", scanQr);
  $("#modal-close").addEventListener("click", closeModal);
  $("#modal").addEventListener("click", (event) => { if (event.target.id === "modal") closeModal(); });
  for (const button of document.querySelectorAll("#languages button")) {
    button.addEventListener("click", () => setLanguage(button.dataset.language));
  }
  // Scroll events arrive after the fact: a photo that loaded in between makes
  // our own scroll look short of the bottom. Only a move up from where the
  // page last pinned the chat is the person's own.
  $("#messages").addEventListener("scroll", () => {
    const list = $("#messages");
    if (list.scrollHeight - list.scrollTop - list.clientHeight < 80) state.follow = true;
    else if (list.scrollTop < state.pinnedAt - 20) state.follow = false;
  });
  $("#messages").addEventListener("click", (event) => {
    const link = event.target.closest("a");
    const spoiler = event.target.closest(".spoiler");
    if (spoiler) spoiler.classList.add("shown");
    if (!link) return;
    if (link.dataset.command) { event.preventDefault(); sendText(link.dataset.command); }
    else if (link.dataset.link) { event.preventDefault(); openLink(link.dataset.link); }
  });
  renderChrome();
  poll();
}

main();
