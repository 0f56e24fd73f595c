"""Imports every module that defines tables, so the metadata is complete
(Alembic autogenerate, the erasure test). Add a line per new models module."""

from referral import apikeys, leases, models, stamps  # noqa: F401
from referral.analytics import models as analytics_models  # noqa: F401
from referral.crm import models as crm_models  # noqa: F401
from referral.leads import models as lead_models  # noqa: F401
from referral.ledger import activity_models, bookkeeping_models, catalogue_models  # noqa: F401
from referral.offers import models as offer_models  # noqa: F401
from referral.surveys import models as survey_models  # noqa: F401
