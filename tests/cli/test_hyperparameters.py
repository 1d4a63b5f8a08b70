"""``train``'s hyperparameter flags, built from the estimator itself."""

import pytest

from sknnscratch import ScratchMLPClassifier
from sknnscratch.cli import _build_parser, main, train

from ._support import TRAIN_BASE, assert_one_error_line, extra


def test_train_has_a_flag_for_every_hyperparameter(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = capsys.readouterr().out
    for name in ScratchMLPClassifier().get_params():
        assert "--" + name.replace("_", "-") in help_text


def test_train_badly_typed_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--hidden-layer-sizes", "32,x"])
    assert exc.value.code == 2
    assert "comma-separated integers" in capsys.readouterr().err


def test_optimizer_is_an_alias_of_solver(capsys):
    parser = _build_parser()
    as_solver = train.train_params(parser.parse_args(["train", "--solver", "sgd"]))
    as_optimizer = train.train_params(
        parser.parse_args(["train", "--optimizer", "sgd"])
    )
    assert as_solver == as_optimizer
    assert as_solver["solver"] == "sgd" and "optimizer" not in as_solver
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--solver NAME, --optimizer NAME" in help_text
    assert "--optimizer is another name for this flag" in help_text


# (arguments after the base ones, exit code, what the message must say): the
# estimator's checks give exit code 1, the command line's own parsing 2.
BAD_INPUTS = {
    "hidden-layer-sizes-0": (
        extra("--hidden-layer-sizes", "0"),
        2,
        "at least 1 unit, got '0'",
    ),
    "hidden-layer-sizes--1": (
        extra("--hidden-layer-sizes=-1"),
        2,
        "at least 1 unit, got '-1'",
    ),
    "hidden-layer-sizes-a": (
        extra("--hidden-layer-sizes", "a"),
        2,
        "expected comma-separated integers",
    ),
    "activation-unknown": (
        extra("--activation", "swish"),
        1,
        "'activation' parameter",
    ),
    "activation-unknown-in-a-layer": (
        extra("--hidden-layer-sizes", "4,4", "--activation", "relu,swish"),
        1,
        "Unknown activation 'swish'",
    ),
    "dropout-1.5": (extra("--dropout", "1.5"), 1, "'dropout' parameter"),
    "dropout-1.5-in-a-layer": (
        extra("--hidden-layer-sizes", "4,4", "--dropout", "0.1,1.5"),
        1,
        "dropout rates must be in [0, 1)",
    ),
    "solver-unknown": (extra("--solver", "newton"), 1, "'solver' parameter"),
    "optimizer-unknown": (
        extra("--optimizer", "newton"),
        1,
        "'solver' parameter",
    ),
    "n-iter-no-change-0": (
        extra("--n-iter-no-change", "0"),
        1,
        "'n_iter_no_change' parameter",
    ),
    "n-iter-no-change--1": (
        extra("--n-iter-no-change=-1"),
        1,
        "'n_iter_no_change' parameter",
    ),
    "n-iter-no-change-x": (
        extra("--n-iter-no-change", "x"),
        2,
        "expected an integer or 'inf'",
    ),
    "validation-fraction-1": (
        extra("--validation-fraction", "1.0"),
        1,
        "'validation_fraction' parameter",
    ),
    "batch-size-0": (extra("--batch-size", "0"), 1, "'batch_size' parameter"),
    "max-iter-0": (extra("--max-iter", "0"), 1, "'max_iter' parameter"),
    "alpha--1": (extra("--alpha=-1"), 1, "'alpha' parameter"),
    "learning-rate-init-0": (
        extra("--learning-rate-init", "0"),
        1,
        "'learning_rate_init' parameter",
    ),
    "class-weight-negative": (
        extra("--class-weight=0:-1"),
        2,
        "class_weight of class 0 must be a finite number of at least 0, got -1.0",
    ),
    "class-weight-nan": (
        extra("--class-weight", "3:nan"),
        2,
        "class_weight of class 3 must be a finite number",
    ),
    "class-weight-inf": (
        extra("--class-weight", "0:1,8:inf"),
        2,
        "class_weight of class 8 must be a finite number",
    ),
    "class-weight-all-zero": (
        extra("--class-weight", ",".join(f"{digit}:0" for digit in range(10))),
        2,
        "class_weight gives every class a weight of 0",
    ),
    "class-weight-not-a-number": (
        extra("--class-weight", "0:heavy"),
        2,
        "the weight of class 0 must be a number, got 'heavy'",
    ),
    "class-weight-class-10": (
        extra("--class-weight", "10:2"),
        2,
        "class '10' in '10:2' is not one of the labels 0-9",
    ),
    "class-weight-class-a": (
        extra("--class-weight", "a:2"),
        2,
        "class 'a' in 'a:2' is not one of the labels 0-9",
    ),
    "class-weight-twice": (
        extra("--class-weight", "1:2,1:3"),
        2,
        "class 1 is given twice",
    ),
    "class-weight-no-colon": (
        extra("--class-weight", "2"),
        2,
        "CLASS:WEIGHT pairs",
    ),
}


@pytest.mark.parametrize(
    ("make_args", "code", "message"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS)
)
def test_bad_hyperparameter_is_one_error_line(make_args, code, message, tmp_path):
    base = [*TRAIN_BASE, "--quiet", "--output", str(tmp_path / "m.safetensors")]
    assert_one_error_line(["train", *base, *make_args(tmp_path)], code, message)
    # A failed train saves no model, whatever the cause.
    assert not (tmp_path / "m.safetensors").exists()
