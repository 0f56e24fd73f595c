"""The lead pipeline: client cards in, states and transitions, the pass,
delivery to partners (bot, API, signed webhooks), outcomes, threads."""
