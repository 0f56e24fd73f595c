"""Payloads as the CRMs' public documentation gives them.

Bitrix24 ONCRMDEALUPDATE, sent form-encoded by an outgoing webhook:
https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-update.html
(the page shows the fields as JSON; the outgoing webhook posts them as a PHP form).
crm.deal.get's answer: https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-get.html
Bitrix24's rate-limit answer (503, QUERY_LIMIT_EXCEEDED): https://apidocs.bitrix24.ru/limits.html
amoCRM's digital-pipeline webhook (leads[status][0][...]):
https://www.amocrm.com/developers/content/digital_pipeline/dp-webhooks/
amoCRM's lead in /api/v4/leads (status 142 won, 143 lost; custom_fields_values):
https://www.amocrm.ru/developers/content/crm_platform/leads-api
"""

from __future__ import annotations

from urllib.parse import urlencode


def bitrix24_deal_update(deal_id: str, application_token: str, ts: str = "1736405807") -> str:
    return urlencode(
        {
            "event": "ONCRMDEALUPDATE",
            "event_handler_id": "201",
            "data[FIELDS][ID]": deal_id,
            "ts": ts,
            "auth[domain]": "some-domain.bitrix24.com",
            "auth[client_endpoint]": "https://some-domain.bitrix24.com/rest/",
            "auth[server_endpoint]": "https://oauth.bitrix.info/rest/",
            "auth[member_id]": "a223c6b3710f85df22e9377d6c4f7553",
            "auth[application_token]": application_token,
        }
    )


def bitrix24_deal(deal_id: str, semantic: str, opportunity: str, member: str | None) -> dict:
    return {
        "ID": deal_id,
        "TITLE": "Deal #" + deal_id,
        "TYPE_ID": "SALE",
        "CATEGORY_ID": "0",
        "STAGE_ID": {"S": "WON", "F": "LOSE"}.get(semantic, "PREPARATION"),
        "STAGE_SEMANTIC_ID": semantic,
        "CURRENCY_ID": "RUB",
        "OPPORTUNITY": opportunity,
        "CLOSED": "Y" if semantic in "SF" else "N",
        "CLOSEDATE": "2026-11-30T03:00:00+03:00",
        "DATE_MODIFY": "2026-11-30T14:05:00+03:00",
        "UF_CRM_REFBOT": member,
    }


BITRIX24_LIMITED = {
    "error": "QUERY_LIMIT_EXCEEDED",
    "error_description": "Too many requests",
}


def amocrm_status_change(deal_id: str, status_id: int, pipeline_id: int = 3104455) -> str:
    return urlencode(
        {
            "leads[status][0][id]": deal_id,
            "leads[status][0][status_id]": str(status_id),
            "leads[status][0][pipeline_id]": str(pipeline_id),
            "leads[status][0][old_status_id]": "31522159",
            "leads[status][0][old_pipeline_id]": str(pipeline_id),
            "account[id]": "29085955",
            "account[subdomain]": "acmecoffee",
        }
    )


def amocrm_lead(
    deal_id: str, status_id: int, price: int, member: str | None, field_id: int
) -> dict:
    fields = (
        [
            {
                "field_id": field_id,
                "field_name": "refbot member",
                "field_code": None,
                "field_type": "text",
                "values": [{"value": member}],
            }
        ]
        if member
        else None
    )
    return {
        "id": int(deal_id),
        "name": "Deal " + deal_id,
        "price": price,
        "responsible_user_id": 504141,
        "status_id": status_id,
        "pipeline_id": 3104455,
        "created_at": 1764490000,
        "updated_at": 1764500000,
        "closed_at": 1764500000 if status_id in (142, 143) else None,
        "custom_fields_values": fields,
        "account_id": 29085955,
    }
