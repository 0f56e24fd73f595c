"""The domain services of one process, built from Settings.

Kept apart from bot/app.py so the `refbot` operator commands get them without
importing aiogram and the routers (seconds of start-up per command).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from refbot.settings import Settings
from referral.analytics.access import WorkspaceAccess
from referral.analytics.job import AnalyticsJob
from referral.analytics.service import WorkspaceAnalytics
from referral.analytics.weekly import WeeklyInsights
from referral.apikeys import ApiKeyService
from referral.companies import CompanyService
from referral.crm.connections import CrmConnections
from referral.crm.inbound import CrmInbound
from referral.crm.outbound import CrmPushes
from referral.crm.vault import SettingsVault
from referral.db import create_engine, create_sessionmaker
from referral.leads.pipeline import LeadPipeline
from referral.leads.service import LeadService
from referral.leads.threads import ThreadService
from referral.leads.webhooks import WebhookOutbox
from referral.leases import Leases
from referral.ledger.check import LedgerCheck
from referral.ledger.ledger import Ledger
from referral.ledger.purchase_reports import PurchaseReports
from referral.ledger.services import Loyalty, build_loyalty
from referral.members import MemberService
from referral.offers.crossmatrix import CrossMatrixService
from referral.offers.nudges import NudgeService
from referral.offers.service import OfferService
from referral.offers.stats import PartnerStats
from referral.offers.training import Trainer
from referral.roles import RoleService
from referral.surveys.answers import AnswerService
from referral.surveys.outbox import Outbox
from referral.surveys.results import ResultsService
from referral.surveys.service import SurveyService
from referral.updates import UpdateLog


@dataclass
class Services:
    """Everything the handlers and jobs use, built once per process."""

    settings: Settings
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    companies: CompanyService
    roles: RoleService
    members: MemberService
    updates: UpdateLog
    ledger: Ledger
    loyalty: Loyalty
    surveys: SurveyService
    survey_answers: AnswerService
    survey_results: ResultsService
    outbox: Outbox
    offers: OfferService
    nudges: NudgeService
    analytics: WorkspaceAnalytics
    analytics_job: AnalyticsJob
    workspace_access: WorkspaceAccess
    weekly_insights: WeeklyInsights
    apikeys: ApiKeyService
    partner_stats: PartnerStats
    crossmatrix: CrossMatrixService
    ledger_check: LedgerCheck
    trainer: Trainer
    leases: Leases
    leads: LeadService
    webhooks: WebhookOutbox
    lead_pipeline: LeadPipeline
    threads: ThreadService
    purchase_reports: PurchaseReports
    crm: CrmConnections
    crm_inbound: CrmInbound
    crm_pushes: CrmPushes
    # Inbound CRM calls being read back in the background (web/crm/routes.py).
    crm_tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def close(self) -> None:
        drainer = getattr(self, "survey_drainer", None)  # set when the bot's jobs started
        if drainer is not None:
            await drainer.bot.session.close()
        await self.engine.dispose()


def build_services(settings: Settings) -> Services:
    engine = create_engine(settings.database)
    db = create_sessionmaker(engine)
    roles = RoleService(db, settings.admin_ids)
    return Services(
        settings=settings,
        engine=engine,
        db=db,
        companies=CompanyService(db),
        roles=roles,
        members=MemberService(db, roles),
        updates=UpdateLog(db),
        ledger=(ledger := Ledger(db)),
        loyalty=(loyalty := build_loyalty(db, ledger, settings.link_key)),
        surveys=SurveyService(
            db,
            min_audience=settings.min_audience,
            zone=settings.zone,
            quiet_window=settings.quiet_window,
        ),
        survey_answers=AnswerService(db, ledger),
        survey_results=ResultsService(db, settings.min_audience),
        outbox=Outbox(db, lease=timedelta(seconds=settings.survey_lease_seconds)),
        offers=(offers := OfferService(db, settings.data_dir, ledger=ledger)),
        nudges=NudgeService(db, offers.store),
        analytics=WorkspaceAnalytics(db, settings.min_audience, settings.zone),
        analytics_job=AnalyticsJob(db, settings.min_audience, settings.zone),
        workspace_access=WorkspaceAccess(db, roles),
        weekly_insights=WeeklyInsights(db, settings.zone),
        apikeys=ApiKeyService(db),
        partner_stats=PartnerStats(db, settings.min_audience, settings.zone),
        crossmatrix=CrossMatrixService(db),
        ledger_check=LedgerCheck(db),
        trainer=Trainer(db, settings.data_dir),
        leases=Leases(db),
        leads=(leads := LeadService(db)),
        webhooks=(webhooks := WebhookOutbox(db)),
        lead_pipeline=LeadPipeline(
            db,
            offers,
            webhooks,
            zone=settings.zone,
            quiet_window=settings.quiet_window,
            weekly_cap=settings.lead_weekly_cap,
            expire_after=timedelta(days=settings.lead_expiry_days),
        ),
        threads=ThreadService(db, webhooks),
        purchase_reports=(reports := PurchaseReports(db, loyalty.purchases)),
        crm=(crm := CrmConnections(db, SettingsVault(settings.crm_keys))),
        crm_inbound=CrmInbound(db, crm, reports, leads),
        crm_pushes=CrmPushes(db, crm),
    )
