"""The lead pipeline end to end: a card POSTed over HTTP to the real server on
127.0.0.1 becomes an offer in the member's chat (real dispatcher, local Bot
API server); Accept delivers the lead to the partner's webhook receiver on
127.0.0.1, which verifies the signature with `standardwebhooks`; the outcome
comes back over the API and is in the next training's feedback frame."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from bot.jobs.leads import BotLeadSender, run_lead_pass
from localapi import FakeUser
from referral.offers.frames import feedback_frame
from referral.offers.models import Lead
from tests.e2e.harness import button
from tests.leads.test_webhooks import Receiver
from tests.leads.test_webhooks import serving as receiving
from tests.offers_world import seed
from web.app import build_http_app
from web.server import serving

TODAY_NOON = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)


async def test_card_over_http_to_offer_to_signed_webhook_to_outcome_to_feedback(refbot):
    services = refbot.services
    world = await seed(services.db)
    solo = world.members["solo"]
    _, cafe_key = await services.apikeys.create("cafe")
    async with serving(build_http_app(services), "127.0.0.1", 0) as server:
        api = f"http://127.0.0.1:{server.port}/api/v1"
        async with httpx.AsyncClient(timeout=10) as http:
            made = await http.post(
                f"{api}/client-cards",
                json={
                    "deal_id": "crm-1",
                    "member_code": solo.pseudonym,
                    "services": ["coffee"],
                    "amount_minor": 40000,
                    "won": True,
                },
                headers={"Authorization": f"Bearer {cafe_key}"},
            )
            assert made.status_code == 201, made.text
            lead_id = made.json()["lead_id"]

            await services.lead_pipeline.run(
                BotLeadSender(refbot.bot, services.members), TODAY_NOON
            )
            [offer] = await refbot.wait_sent(solo.telegram_id, 1)
            async with services.db() as session:
                lead = await session.get(Lead, lead_id)
            partner = await services.companies.get_by_id(lead.company_id)
            assert partner.code != "cafe"  # another partner's service was offered
            _, partner_key = await services.apikeys.create(partner.code)
            receiver = Receiver(503)  # fails once, then takes it
            async with receiving(receiver) as hook:
                secret = await services.webhooks.set_endpoint(partner.id, hook)
                member = FakeUser(solo.telegram_id, "Solo", language_code="en")
                await refbot.press(member, offer, button(offer, "Interested"))
                await run_lead_pass(services, refbot.bot)
                await services.webhooks.drain()
                await services.webhooks.drain(datetime.now(UTC).replace(year=2100))
            assert len(receiver.requests) == 2
            assert len({headers["webhook-id"] for headers, _ in receiver.requests}) == 1
            headers, body = receiver.requests[-1]
            event = Webhook(secret).verify(body, headers)
            assert event["type"] == "lead.delivered" and event["data"]["id"] == lead_id
            assert event["data"]["member_code"] == solo.pseudonym
            assert str(solo.telegram_id) not in body.decode()

            auth = {"Authorization": f"Bearer {partner_key}"}
            pulled = await http.get(f"{api}/leads/{lead_id}", headers=auth)
            assert pulled.status_code == 200 and pulled.json()["status"] == "delivered"
            won = await http.post(
                f"{api}/leads/{lead_id}/outcome",
                json={"outcome": "won", "amount_minor": 90000},
                headers=auth,
            )
            assert won.status_code == 200 and won.json()["status"] == "won"
            attempts = (await http.get(f"{api}/webhook/attempts", headers=auth)).json()
            assert [a["status_code"] for a in attempts] == [200, 503]  # newest first
            assert len({a["message_id"] for a in attempts}) == 1
            cafe = {"Authorization": f"Bearer {cafe_key}"}
            foreign = await http.get(f"{api}/leads/{lead_id}", headers=cafe)
            assert foreign.status_code == 404
    async with services.db() as session:
        frame = await feedback_frame(session)
    mine = frame[(frame["user_id"] == solo.pseudonym) & (frame["item_id"] == str(lead.service_id))]
    assert list(mine["value"]) == [1, 1]  # the member's Accept, then the partner's won
