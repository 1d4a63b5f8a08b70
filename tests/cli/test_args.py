"""The argument types: a bad value is a usage error naming the rule broken."""

import argparse

import numpy as np
import pytest

from sknnscratch.cli import _args


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("60000", 60000), (" 7 ", 7)])
def test_positive_int_accepts_integers_from_1(text, expected):
    assert _args.positive_int(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "expected a positive integer, got 0"),
        ("-5", "expected a positive integer, got -5"),
        ("1.5", "expected an integer, got '1.5'"),
        ("ten", "expected an integer, got 'ten'"),
    ],
)
def test_positive_int_refuses_the_rest(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        _args.positive_int(text)


def test_positive_int_applies_the_package_rule(monkeypatch):
    # The rule lives in sknnscratch._utils; the type only words its refusal.
    calls = []

    def rule(value, name, minimum=1):
        calls.append((value, minimum))
        return value

    monkeypatch.setattr(_args, "check_positive_int", rule)
    assert _args.positive_int("-3") == -3
    assert calls == [(-3, 1)]


@pytest.mark.parametrize(
    ("convert", "text", "expected"),
    [
        (_args.int_tuple, "256,128", (256, 128)),
        (_args.int_tuple, "8", (8,)),
        (_args.str_or_list, "relu", "relu"),
        (_args.str_or_list, "relu, tanh", ["relu", "tanh"]),
        (_args.float_or_list, "0.2", 0.2),
        (_args.float_or_list, "0.2,0.1", [0.2, 0.1]),
        (_args.index_list, "0,1,2", [0, 1, 2]),
        (_args.scalar, "none", None),
        (_args.scalar, "128", 128),
        (_args.scalar, "1e-3", 0.001),
        (_args.scalar, "auto", "auto"),
        (_args.int_or_inf, "inf", np.inf),
        (_args.int_or_inf, "10", 10),
        (_args.class_weight, "balanced", "balanced"),
        (_args.class_weight, "None", None),
        (_args.class_weight, "0:1,8:2.5", {0: 1.0, 8: 2.5}),
    ],
)
def test_types_parse_what_the_docs_show(convert, text, expected):
    assert convert(text) == expected


@pytest.mark.parametrize(
    ("convert", "text", "message"),
    [
        (_args.split_commas, "a,,b", "expected a comma-separated list"),
        (_args.split_commas, " ", "expected a comma-separated list"),
        (_args.int_tuple, "32,x", "comma-separated integers such as 256,128"),
        (_args.int_tuple, "4,0", "every layer needs at least 1 unit"),
        (_args.float_or_list, "0.1,a", "a number or comma-separated numbers"),
        (_args.index_list, "1,-1", "indices must be 0 or more"),
        (_args.int_or_inf, "x", "expected an integer or 'inf'"),
        (_args.class_weight, "10:2", "is not one of the labels 0-9"),
    ],
)
def test_types_refuse_with_a_message(convert, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        convert(text)
