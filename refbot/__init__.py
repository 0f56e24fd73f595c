"""The composition root shared by both adapters: settings from the environment and
the domain services of one process. The Telegram adapter (bot/) and the HTTP
adapter (web/) both build on it; it imports neither."""
