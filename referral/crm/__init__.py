"""Partners' CRMs (Bitrix24, amoCRM) connected without code: their webhooks in,
their APIs read back, closed deals turned into purchases and lead outcomes."""
