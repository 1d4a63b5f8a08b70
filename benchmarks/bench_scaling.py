"""Scaling: seconds per epoch as the training set and the hidden layer grow.

Two sweeps on MNIST (pixels / 255), each timing ``fit`` for ``--epochs``
epochs and reporting the median seconds per epoch over ``--repeats`` runs,
the systems alternating:

- training rows (``--sizes``, default 7,500 / 15,000 / 30,000 / 60,000; the
  smaller sets are nested seeded subsets) at hidden width ``--hidden``;
- hidden width (``--widths``, default 64 ... 1024, one hidden layer) on
  ``--width-rows`` training rows (default: the largest size).

Both estimators run with the training benchmark's settings (Adam at 0.001,
batch 128, ``alpha=0``, no early stopping); PyTorch joins with
``--systems ours sklearn torch``. The plot (two panels, log-log, with a
dashed line of slope 1 through ours' first point for reference: time
proportional to rows, or to width) goes to ``--output``, the numbers to
``--json``.
"""

import argparse
import os
import statistics
import sys

import _common
import _systems
import numpy as np


def sweep(points, make_setting, systems, repeats, log=print):
    """Median seconds per epoch of each system at each point of a sweep.

    Parameters
    ----------
    points : list
        The swept values (rows or widths).
    make_setting : callable
        ``point -> (config, X, y)``.
    systems : list of str
    repeats : int

    Returns
    -------
    list of dict
        One per (point, system): ``value``, ``system``,
        ``seconds_per_epoch`` and the ``seconds_per_epoch_runs``.
    """
    rows = []
    for point in points:
        config, X, y = make_setting(point)
        _systems.warm_up(systems, config, X, y)
        runs = {system: [] for system in systems}
        for _ in range(repeats):
            for system in systems:
                result = _systems.TRAINERS[system](config, X, y)
                runs[system].append(result.seconds_per_epoch)
        for system in systems:
            median = statistics.median(runs[system])
            rows.append(
                {
                    "value": point,
                    "system": system,
                    "seconds_per_epoch": median,
                    "seconds_per_epoch_runs": runs[system],
                }
            )
            log(f"  {point:>6} {system:>8}: {median:.3f} s/epoch")
    return rows


#: Line style of each system in the plot.
STYLE = {
    "ours": {"color": "tab:blue", "marker": "o", "label": "ScratchMLPClassifier"},
    "sklearn": {"color": "tab:orange", "marker": "s", "label": "MLPClassifier"},
    "torch": {"color": "tab:green", "marker": "^", "label": "PyTorch CPU"},
}

#: Where each system's value labels sit relative to its points (points).
LABEL_OFFSET = {"ours": (0, -14), "sklearn": (0, 8), "torch": (14, -4)}


def _plain_label(value, _):
    return f"{value:g}"


def _minor_label(value, _):
    mantissa = value / 10 ** np.floor(np.log10(value))
    return f"{value:g}" if round(mantissa) in (2, 3, 5) else ""


def plot(size_rows, width_rows, subtitle, output):
    """Save the two-panel figure; return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), constrained_layout=True)
    panels = [
        (axes[0], size_rows, "training rows", "Seconds per epoch vs training rows"),
        (axes[1], width_rows, "hidden width (one layer)", "Seconds per epoch vs width"),
    ]
    for ax, rows, xlabel, title in panels:
        systems = [s for s in STYLE if any(r["system"] == s for r in rows)]
        for system in systems:
            points = sorted(
                (r["value"], r["seconds_per_epoch"])
                for r in rows
                if r["system"] == system
            )
            xs, ys = zip(*points)
            ax.plot(xs, ys, linewidth=2, markersize=7, **STYLE[system])
            for x, y in points:
                ax.annotate(
                    f"{y:.3g}",
                    (x, y),
                    textcoords="offset points",
                    xytext=LABEL_OFFSET[system],
                    ha="center",
                    fontsize=8,
                    color=STYLE[system]["color"],
                )
        reference = sorted(
            (r["value"], r["seconds_per_epoch"]) for r in rows if r["system"] == "ours"
        )
        if reference:
            x0, y0 = reference[0]
            xs = np.array([x0, reference[-1][0]], dtype=float)
            ax.plot(
                xs,
                y0 * xs / x0,
                linestyle="--",
                color="gray",
                linewidth=1,
                label="proportional (slope 1)",
            )
        values = sorted({r["value"] for r in rows})
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(values)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        # Plain numbers (0.05, not 5x10^-2); minor ticks labelled at 2, 3, 5.
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_label))
        ax.yaxis.set_minor_formatter(FuncFormatter(_minor_label))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("seconds per epoch (median, log scale)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.margins(x=0.06, y=0.12)
    # One legend for both panels, under them, clear of the data.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    fig.suptitle(subtitle, fontsize=11)
    output = _common.Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=120)
    plt.close(fig)
    return output


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[7_500, 15_000, 30_000, 60_000]
    )
    parser.add_argument(
        "--widths", type=int, nargs="+", default=[64, 128, 256, 512, 1024]
    )
    parser.add_argument(
        "--hidden", default="256", help="hidden widths of the rows sweep"
    )
    parser.add_argument(
        "--width-rows",
        type=int,
        default=None,
        help="training rows of the width sweep (default: the largest of --sizes)",
    )
    parser.add_argument("--dtype", default="float32", choices=_common.DTYPES)
    parser.add_argument("--solver", default="adam", choices=["adam", "sgd"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--systems",
        nargs="+",
        default=["ours", "sklearn"],
        choices=_systems.ALL_SYSTEMS,
    )
    parser.add_argument("--output", default=str(_common.RESULTS_DIR / "scaling.png"))
    parser.add_argument("--json", default=str(_common.RESULTS_DIR / "scaling.json"))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    _common.print_machine_line()
    systems = _systems.available_systems(args.systems)
    hidden = _common.parse_hidden(args.hidden)
    sizes = sorted(args.sizes)
    width_rows = args.width_rows or sizes[-1]
    X_all, _, y_all, _ = _common.load_mnist_float(
        args.dtype, max(sizes[-1], width_rows), args.seed
    )
    # Nested subsets: the first n rows of one seeded permutation.
    order = np.random.default_rng(args.seed).permutation(len(X_all))
    learning_rate = _systems.DEFAULT_LEARNING_RATE[args.solver]

    def config_for(widths):
        return _systems.TrainConfig(
            widths,
            args.solver,
            learning_rate,
            args.epochs,
            args.batch_size,
            args.seed,
        )

    def rows_setting(n_rows):
        index = np.sort(order[:n_rows])
        return config_for(hidden), X_all[index], y_all[index]

    def width_setting(width):
        index = np.sort(order[:width_rows])
        return config_for((width,)), X_all[index], y_all[index]

    log = lambda line: print(line, flush=True)  # noqa: E731
    print(f"# rows sweep (hidden {args.hidden})", flush=True)
    size_rows = sweep(sizes, rows_setting, systems, args.repeats, log)
    print(f"# width sweep ({width_rows} rows)", flush=True)
    width_rows_out = sweep(
        sorted(args.widths), width_setting, systems, args.repeats, log
    )

    for rows, key in ((size_rows, "rows"), (width_rows_out, "width")):
        for row in rows:
            row["sweep"] = key
            if row["system"] != "ours":
                ours = next(
                    r
                    for r in rows
                    if r["system"] == "ours" and r["value"] == row["value"]
                )
                row["ours_over_this"] = (
                    ours["seconds_per_epoch"] / row["seconds_per_epoch"]
                )

    columns = [
        ("value", "rows / width", "d"),
        ("system", "system", "s"),
        ("seconds_per_epoch", "s/epoch (median)", ".3f"),
        ("ours_over_this", "ours/this", ".2f"),
    ]
    print("\nrows sweep (hidden " + args.hidden + ")")
    print(_common.format_table(size_rows, columns))
    print(f"\nwidth sweep ({width_rows} rows)")
    print(_common.format_table(width_rows_out, columns))

    subtitle = (
        f"MNIST, {args.dtype}, {args.solver}, batch {args.batch_size}, median of "
        f"{args.repeats} x {args.epochs}-epoch fits; rows sweep at hidden "
        f"{args.hidden}, width sweep on {width_rows:,} rows; {os.cpu_count()} CPUs"
    )
    image = plot(size_rows, width_rows_out, subtitle, args.output)
    path = _common.write_json(
        args.json, "scaling", vars(args), size_rows + width_rows_out, plot=str(image)
    )
    print(f"\nwrote {image}\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
