"""Settings and the shipped plan and agency files."""
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
PLANS_DIR = CONFIG_DIR / "plans"
SEED_PLAN = PLANS_DIR / "60-KH-UBND-2024-lao-cai.yaml"
WORKDAYS_DIR = CONFIG_DIR / "workdays"
ESCALATION_FILE = CONFIG_DIR / "escalation.yaml"
