"""Inbound webhooks of the partners' CRMs (Bitrix24, amoCRM), under /crm."""
