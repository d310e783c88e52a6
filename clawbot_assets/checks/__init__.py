"""Asset checks: standalone, named by the constants in ``clawbot_assets.names.Checks``."""
