"""sknnscratch.plotting._report: save_report_plots writes the plots that apply
to the model, as PNG files.
"""

from types import SimpleNamespace

import pytest
from matplotlib.figure import Figure

from sknnscratch.plotting import REPORT_PLOTS, save_report_plots

from ._support import DIGIT_SHAPE, assert_png

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_save_report_plots(clf_val, digits, tmp_path):
    X, y = digits
    folder = tmp_path / "report" / "nested"
    paths = save_report_plots(clf_val, X, y, folder, image_shape=DIGIT_SHAPE)
    assert list(paths) == list(REPORT_PLOTS)
    for name, path in paths.items():
        assert path == folder / f"{name}.png"
        assert_png(path)


def test_save_report_plots_skips_image_plots_for_non_images(
    clf, digits, tmp_path, monkeypatch
):
    # Which files are written is all this test checks; test_save_report_plots
    # checks real PNGs, so rendering (the slow part) is skipped here.
    monkeypatch.setattr(
        Figure, "savefig", lambda self, path, **kwargs: path.write_bytes(b"stub")
    )
    X, y = digits
    paths = save_report_plots(clf, X, y, tmp_path)  # 784 pixels != 64 features
    assert set(paths) == set(REPORT_PLOTS) - {
        "first_layer_weights",
        "confident_errors",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.png" for name in paths
    )


def test_save_report_plots_of_a_regressor_skips_classifier_plots(
    reg_val, regression, tmp_path, monkeypatch
):
    # As in test_save_report_plots_skips_image_plots_for_non_images, only
    # which files are written is checked, so rendering is skipped.
    monkeypatch.setattr(
        Figure, "savefig", lambda self, path, **kwargs: path.write_bytes(b"stub")
    )
    X, y = regression
    paths = save_report_plots(reg_val, X, y, tmp_path, image_shape=(2, 2))
    assert list(paths) == [
        "learning_curves",
        "first_layer_weights",
        "weight_distributions",
        "network_diagram",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.png" for name in paths
    )


def test_save_report_plots_passes_the_class_names_on(
    clf, digits, tmp_path, monkeypatch
):
    from sknnscratch.plotting import _report

    seen = {}

    def record(name):
        def plot(*args, **kwargs):
            seen[name] = kwargs.get("class_names")
            figure = Figure()
            # plot_confusion_matrix returns a display holding its figure.
            return SimpleNamespace(figure_=figure) if "confusion" in name else figure

        return plot

    names = (
        "plot_confusion_matrix",
        "plot_network_diagram",
        "plot_most_confident_errors",
    )
    for name in names:
        monkeypatch.setattr(_report, name, record(name))
    monkeypatch.setattr(
        Figure, "savefig", lambda self, path, **kwargs: path.write_bytes(b"stub")
    )
    X, y = digits
    class_names = tuple(f"class {digit}" for digit in range(10))
    save_report_plots(
        clf, X, y, tmp_path, image_shape=DIGIT_SHAPE, class_names=class_names
    )
    assert seen == dict.fromkeys(names, list(class_names))
    with pytest.raises(ValueError, match="one name per class"):
        save_report_plots(clf, X, y, tmp_path / "no", class_names=class_names[:2])
    assert not (tmp_path / "no").exists()  # refused before anything is written
