"""The workspace's tables as rows, for CSV downloads and the survey results body."""

from __future__ import annotations

import csv
import io

from fastapi.responses import Response

from referral.surveys.results import Results


def csv_response(rows: list[dict], filename: str) -> Response:
    buffer = io.StringIO()
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: object) -> object:
    if value is None:
        return ""  # hidden under MIN_AUDIENCE, or not computable
    if isinstance(value, dict):
        return value.get("en", "")  # a name given in both languages
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def view_tables(view: str, data: dict | list) -> dict[str, list[dict]]:
    """Each table of a snapshot view by name, the page's order."""
    if view == "cohorts":
        return {
            "cohorts": [
                {
                    "cohort": row["cohort"],
                    "size": row["size"],
                    **{f"month_{k}": cell for k, cell in enumerate(row["cells"])},
                }
                for row in data
            ]
        }
    if view == "structure":
        tables = {f"band_{band}": rows for band, rows in data["bands"].items()}
        tables["rfm"] = data["rfm"]
        tables["weekday"] = data["seasonality"]["weekday"]
        tables["month"] = data["seasonality"]["month"]
        return tables
    if view == "segments":
        return {"values": data.get("values", []), "profiles": data.get("profiles", [])}
    if view == "churn":
        return {
            "members": [
                {
                    **{k: v for k, v in row.items() if k != "reasons"},
                    "reasons": "; ".join(row["reasons"]["en"]),
                }
                for row in data.get("members", [])
            ]
        }
    if view == "peers":
        percentiles = data.get("percentiles") or {}
        return {"peers": [{"metric": k, "percentile": v} for k, v in percentiles.items()]}
    if view == "insights":
        return {
            "insights": [
                {"metric": i["metric"], "change": i["change"], "text": i["words"]["en"]}
                for i in data
            ]
        }
    if view == "funnel":
        return {"stages": data["stages"], "reviews": data["reviews"]}
    return {}


def survey_body(results: Results) -> dict:
    return {
        "id": results.survey.id,
        "title": results.survey.title,
        "respondents": results.respondents,
        "questions": [
            {
                "text": q.question.text,
                "kind": q.question.kind,
                "answered": q.answered,
                "mean": q.mean,
                "counts": [
                    {"label": label, "count": n, "percent": pct} for label, n, pct in q.counts
                ],
            }
            for q in results.questions
        ],
    }
