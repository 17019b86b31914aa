"""The rules file: its model, its loader, and matching names against it."""

from pipeline.core.errors import RulesError
from pipeline.core.rules.load import load_rules
from pipeline.core.rules.model import (
    DEFAULT_RULES,
    GROUP_AWARD,
    HISTORY_TITLES,
    INFO_FIELDS,
    PROPOSAL,
    TABLE_COLUMNS,
    Award,
    Calendar,
    Criterion,
    Document,
    Eligibility,
    Email,
    FormLayout,
    Kind,
    Registers,
    Rules,
    TwoYearRule,
)
from pipeline.core.rules.names import NameIndex

__all__ = [
    "DEFAULT_RULES", "GROUP_AWARD", "HISTORY_TITLES", "INFO_FIELDS", "PROPOSAL", "TABLE_COLUMNS", "Award",
    "Calendar", "Criterion", "Document", "Eligibility", "Email", "FormLayout", "Kind", "NameIndex", "Registers",
    "Rules", "RulesError", "TwoYearRule", "load_rules",
]
