"""The choice sets live in engine.config.choices: what a menu offers is always something the rules accept."""

from __future__ import annotations

from engine.config import parse_config_dict
from engine.config.choices import (
    DATASET_TYPES,
    LEGACY_DATASET_TYPES,
    OFFERED_DATASET_TYPES,
    OFFERED_OPTIMIZERS,
    OFFERED_SCHEDULERS,
    OPTIMIZERS,
    SCHEDULERS,
)
from engine.rules import check_config, declared_target


def test_every_offered_name_is_accepted() -> None:
    assert set(OFFERED_OPTIMIZERS) <= set(OPTIMIZERS)
    assert set(OFFERED_SCHEDULERS) <= set(SCHEDULERS)
    assert set(OFFERED_DATASET_TYPES) | set(LEGACY_DATASET_TYPES) <= set(DATASET_TYPES)
    assert not set(OFFERED_DATASET_TYPES) & set(LEGACY_DATASET_TYPES)


def test_the_rules_accept_each_offered_optimizer_and_schedule() -> None:
    for optimizer, scheduler in zip(OFFERED_OPTIMIZERS, OFFERED_SCHEDULERS, strict=True):
        config = parse_config_dict({"optimizer": optimizer, "lr_scheduler": scheduler})
        ids = {finding.rule_id for finding in check_config(config, declared_target("cuda"))}
        assert not ids & {"optim.unknown_optimizer", "optim.unknown_scheduler"}, (optimizer, scheduler, ids)


def test_the_wizard_menus_are_the_engine_lists() -> None:
    from tui.plain import FORMATS
    from tui.screens.dataset import TYPES

    assert FORMATS == OFFERED_DATASET_TYPES
    assert [value for _, value in TYPES if value is not None] == [*OFFERED_DATASET_TYPES, *LEGACY_DATASET_TYPES]
