"""``compare``'s results: the printed table and the report folder.

The folder holds results.md (the table, the command, the machine and the
plots), results.csv, the fitted ScratchMLPClassifier and its plots.
"""

import csv
import os
import platform
import shlex
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sklearn

from .. import __version__
from ..datasets._mnist_format import IMAGE_SHAPE
from ._data import data_summary
from ._errors import CLIError
from ._files import DEFAULT_MODEL, save_model
from ._progress import status

__all__ = [
    "Result",
    "check_report_paths",
    "text_table",
    "write_report",
]


@dataclass
class Result:
    """One row of the comparison table."""

    model: str
    accuracy: float
    fit_seconds: float
    predict_seconds: float
    n_train: int
    note: str


_COLUMNS = ("model", "test accuracy", "fit (s)", "predict (s)", "note")


def _table_cells(result):
    return (
        result.model,
        f"{result.accuracy:.2%}",
        f"{result.fit_seconds:.1f}",
        f"{result.predict_seconds:.2f}",
        result.note,
    )


def text_table(results):
    """The comparison as an aligned plain-text table (numbers right-aligned)."""
    rows = [_COLUMNS, *map(_table_cells, results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if i in (0, 4) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown_table(results):
    """The comparison as a Markdown table."""
    lines = [
        "| " + " | ".join(_COLUMNS) + " |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        cells = [
            cell.replace("|", "\\|").replace("*", "\\*")
            for cell in _table_cells(result)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _report_files(with_model, with_plots):
    """The names of the files the report folder will get."""
    names = ["results.md", "results.csv"]
    if with_model:
        names.append(DEFAULT_MODEL)
        if with_plots:
            # matplotlib comes with it, but the plots will need it anyway.
            from ..plotting import REPORT_PLOTS

            names += [f"{name}.png" for name in REPORT_PLOTS]
    return names


def check_report_paths(folder, with_model, with_plots):
    """Fail before minutes of training if a report file cannot be written.

    Writing over a folder (say ``confusion_matrix.png/``) fails only at the
    end, after every model has been trained.
    """
    for name in _report_files(with_model, with_plots):
        path = folder / name
        if path.exists() and not path.is_file():
            raise CLIError(
                f"cannot write the report: {path} is a folder, where the report "
                "writes a file; remove it or choose another --output"
            )


def write_report(folder, results, footnote, model, data, argv, *, plots, quiet):
    """Write the model, results.csv, the plots and results.md to ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        The report folder, already created.
    results : list of Result
        The table's rows.
    footnote : str
        Printed under the table, or empty.
    model : ScratchMLPClassifier or None
        The fitted model to save and plot; None when ``--models`` left it out.
    data : ImageData
        The data the models were trained and scored on.
    argv : list of str
        The command's arguments, recorded in results.md.
    plots : bool
        Whether to draw the plots.
    quiet : bool
        No status line while drawing.
    """
    written = []
    if model is not None:
        save_model(model, folder / DEFAULT_MODEL, data.dataset)
        written.append(DEFAULT_MODEL)
    _write_csv(folder / "results.csv", results)
    written.append("results.csv")
    plot_paths = {}
    if model is not None and plots:
        plot_paths = _save_plots(model, data, folder, quiet)
        written += [path.name for path in plot_paths.values()]
    markdown = _markdown_report(results, footnote, model, data, plot_paths, argv)
    _write_text(folder / "results.md", markdown)
    written.insert(0, "results.md")
    print(f"Report written to {folder}/: {', '.join(written)}")
    if model is None:
        print(
            "(no ScratchMLPClassifier in --models: no plots and no model.safetensors)"
        )
        return
    if not plots:
        print("(plots skipped: --no-plots)")
    print(
        f"Classify {data.dataset.items} with the saved model: sknnscratch predict "
        f"{folder / DEFAULT_MODEL} --index 0,1,2"
    )


def _save_plots(model, data, folder, quiet):
    """The report plots of the ScratchMLPClassifier (plotting imported lazily)."""
    # matplotlib takes a second to import; only plotting commands pay for it.
    from ..plotting import save_report_plots

    try:
        with status("Drawing the report plots", quiet):
            return save_report_plots(
                model,
                data.X_test,
                data.y_test,
                folder,
                image_shape=IMAGE_SHAPE,
                class_names=data.dataset.class_names,
            )
    except OSError as exc:  # check_report_paths cannot foresee a full disk
        raise CLIError(f"cannot write the plots to {folder}: {exc}") from None


def _write_text(path, text):
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None


_CSV_COLUMNS = (
    "model",
    "test_accuracy",
    "fit_seconds",
    "predict_seconds",
    "n_train",
    "note",
)


def _csv_row(result):
    return (
        result.model,
        f"{result.accuracy:.4f}",
        f"{result.fit_seconds:.3f}",
        f"{result.predict_seconds:.3f}",
        result.n_train,
        result.note.replace("*", ""),  # the footnote is not in the CSV
    )


def _write_csv(path, results):
    """results.csv: one row per model, accuracy as a fraction."""
    try:
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(_CSV_COLUMNS)
            writer.writerows(map(_csv_row, results))
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None


def _machine_info():
    """Where the timings were measured: OS, CPU, Python and library versions."""
    return {
        "Machine": (
            f"{platform.platform()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs reported by os.cpu_count()"
        ),
        "Versions": (
            f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"scikit-learn {sklearn.__version__}, sknnscratch {__version__}"
        ),
    }


def _markdown_report(results, footnote, model, data, plots, argv):
    """The text of results.md."""
    lines = [
        f"# sknnscratch compare: {data.dataset.name}",
        "",
        data_summary(data),
        "",
        _markdown_table(results),
        "",
    ]
    if footnote:
        lines += [footnote.replace("*", "\\*", 1), ""]
    lines += [
        f"- Command: `{shlex.join(['sknnscratch', *argv])}`",
        f"- Date: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        *(f"- {key}: {value}" for key, value in _machine_info().items()),
    ]
    if model is not None:
        # repr wraps long lines with runs of spaces; one line reads better.
        lines.append(f"- ScratchMLPClassifier: `{' '.join(repr(model).split())}`")
    if plots:
        lines += ["", "## Plots of the ScratchMLPClassifier", ""]
        for name, path in plots.items():
            lines += [f"![{name.replace('_', ' ')}]({path.name})", ""]
    return "\n".join(lines).rstrip() + "\n"
