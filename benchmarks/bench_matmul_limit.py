"""The limit: how fast one epoch could be if only the matrix products counted.

One training step of a dense network does, per layer with ``n_in`` inputs and
``n_out`` outputs, at batch size ``B``:

- forward: ``(B, n_in) @ (n_in, n_out)``;
- weight gradient: ``(n_in, B) @ (B, n_out)``, as ``X.T @ delta``;
- input gradient, for every layer but the first (nothing needs the gradient
  with respect to the data): ``(B, n_out) @ (n_out, n_in)``, as
  ``delta @ W.T``.

This script times exactly those ``np.matmul`` calls (into preallocated
outputs, operands hot in cache, median over many repetitions), adds them up
and multiplies by the steps of an epoch, ``ceil(n_train / B)``. The result is
a lower bound on seconds per epoch for any implementation that uses NumPy's
BLAS for its products: everything else (activations, the loss, optimizer
updates, shuffling, Python) comes on top. A system's *fraction of the
limit* is ``limit seconds / its measured seconds per epoch``; 1.0 would mean
it spends all its time in these products.

Run ``python benchmarks/bench_matmul_limit.py`` for 784-256-10 and
784-1024-1024-10 in float32 and float64.
"""

import argparse
import math
import statistics
import sys
import time

import _common
import numpy as np

#: Default architectures: hidden widths of 784-256-10 and 784-1024-1024-10.
DEFAULT_HIDDEN = ("256", "1024,1024")


def step_products(layer_units, batch_size):
    """The matrix products of one training step.

    Parameters
    ----------
    layer_units : sequence of int
        Units of every layer, input and output included (e.g. 784, 256, 10).
    batch_size : int

    Returns
    -------
    list of dict
        One per product: ``name``, ``shape`` (m, k, n) of an
        ``(m, k) @ (k, n)`` product, ``how`` (which operand is a transposed
        view) and ``flops`` (``2 m k n``).
    """
    products = []
    n_layers = len(layer_units) - 1
    for i, (n_in, n_out) in enumerate(zip(layer_units[:-1], layer_units[1:])):
        layer = f"layer {i + 1} ({n_in}->{n_out})"
        products.append(
            {
                "name": f"{layer} forward",
                "shape": (batch_size, n_in, n_out),
                "how": "A @ W",
            }
        )
        products.append(
            {
                "name": f"{layer} weight grad",
                "shape": (n_in, batch_size, n_out),
                "how": "X.T @ delta",
            }
        )
        if i > 0:
            products.append(
                {
                    "name": f"{layer} input grad",
                    "shape": (batch_size, n_out, n_in),
                    "how": "delta @ W.T",
                }
            )
    for product in products:
        m, k, n = product["shape"]
        product["flops"] = 2 * m * k * n
    assert len(products) == 3 * n_layers - 1
    return products


def _operands(product, dtype, rng):
    """Arrays laid out as the engine has them (transposes are views)."""
    m, k, n = product["shape"]
    how = product["how"]
    if how == "A @ W":
        a = rng.random((m, k), dtype=dtype)
        b = rng.random((k, n), dtype=dtype)
    elif how == "X.T @ delta":
        a = rng.random((k, m), dtype=dtype).T  # X is (B, n_in); X.T a view
        b = rng.random((k, n), dtype=dtype)
    elif how == "delta @ W.T":
        a = rng.random((m, k), dtype=dtype)
        b = rng.random((n, k), dtype=dtype).T  # W is (n_in, n_out); W.T a view
    else:
        raise ValueError(how)
    return a, b, np.empty((m, n), dtype=dtype)


def time_product(product, dtype, repeats=200, min_block_seconds=2e-3, seed=0):
    """Median seconds of one ``np.matmul(a, b, out=out)`` call.

    Calls are timed in blocks long enough for ``perf_counter`` to resolve
    (at least ``min_block_seconds``); the median over ``repeats`` blocks is
    divided by the block length.
    """
    a, b, out = _operands(product, np.dtype(dtype), np.random.default_rng(seed))
    for _ in range(10):  # warm-up: thread pools, caches
        np.matmul(a, b, out=out)
    started = time.perf_counter()
    np.matmul(a, b, out=out)
    single = max(time.perf_counter() - started, 1e-7)
    per_block = max(1, math.ceil(min_block_seconds / single))
    blocks = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(per_block):
            np.matmul(a, b, out=out)
        blocks.append((time.perf_counter() - started) / per_block)
    return statistics.median(blocks)


def epoch_limit(
    hidden,
    dtype,
    n_train=60_000,
    batch_size=128,
    n_features=784,
    n_classes=10,
    repeats=200,
):
    """Matmul-bound seconds per epoch of one architecture in one dtype.

    Returns
    -------
    dict
        ``architecture``, ``dtype``, ``steps_per_epoch``, ``epoch_gflop``,
        ``limit_seconds_per_epoch``, ``limit_gflops`` (epoch FLOPs over the
        limit seconds) and ``products``, each with its measured ``seconds``
        and ``gflops``.
    """
    layer_units = [n_features, *hidden, n_classes]
    steps = math.ceil(n_train / batch_size)
    products = step_products(layer_units, batch_size)
    for product in products:
        product["seconds"] = time_product(product, dtype, repeats)
        product["gflops"] = product["flops"] / product["seconds"] / 1e9
        product["shape"] = list(product["shape"])
    step_seconds = sum(p["seconds"] for p in products)
    step_flops = sum(p["flops"] for p in products)
    return {
        "architecture": _common.architecture_name(n_features, hidden, n_classes),
        "dtype": str(np.dtype(dtype)),
        "batch_size": batch_size,
        "n_train": n_train,
        "steps_per_epoch": steps,
        "step_flops": step_flops,
        "epoch_gflop": step_flops * steps / 1e9,
        "limit_seconds_per_epoch": step_seconds * steps,
        "limit_gflops": step_flops / step_seconds / 1e9,
        "products": products,
    }


def format_limits(limits):
    """The per-product table and the per-architecture summary, as text."""
    lines = []
    for limit in limits:
        lines.append(
            f"\n{limit['architecture']} {limit['dtype']}, batch {limit['batch_size']},"
            f" {limit['steps_per_epoch']} steps/epoch ({limit['n_train']} rows)"
        )
        rows = [
            {
                "name": p["name"],
                "shape": "({0},{1})@({1},{2})".format(*p["shape"]),
                "how": p["how"],
                "mflop": p["flops"] / 1e6,
                "us": p["seconds"] * 1e6,
                "gflops": p["gflops"],
            }
            for p in limit["products"]
        ]
        lines.append(
            _common.format_table(
                rows,
                [
                    ("name", "product", "s"),
                    ("shape", "shape", "s"),
                    ("how", "as", "s"),
                    ("mflop", "MFLOP", ".2f"),
                    ("us", "median us", ".1f"),
                    ("gflops", "GFLOP/s", ".1f"),
                ],
            )
        )
        lines.append(
            f"epoch: {limit['epoch_gflop']:.1f} GFLOP; matmul-bound"
            f" {limit['limit_seconds_per_epoch']:.3f} s/epoch"
            f" ({limit['limit_gflops']:.1f} GFLOP/s over the step's products)"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--hidden",
        nargs="+",
        default=list(DEFAULT_HIDDEN),
        help="hidden widths of each architecture, e.g. 256 1024,1024 (default)",
    )
    parser.add_argument(
        "--dtype", nargs="+", default=list(_common.DTYPES), choices=_common.DTYPES
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--train-size",
        type=int,
        default=60_000,
        help="training rows, for the steps per epoch",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=200,
        help="timed blocks per product (median taken)",
    )
    parser.add_argument(
        "--json",
        default=str(_common.RESULTS_DIR / "matmul_limit.json"),
        help="where to write the results",
    )
    args = parser.parse_args(argv)

    _common.print_machine_line()
    limits = []
    for hidden_text in args.hidden:
        hidden = _common.parse_hidden(hidden_text)
        for dtype in args.dtype:
            limit = epoch_limit(
                hidden, dtype, args.train_size, args.batch_size, repeats=args.repeats
            )
            limits.append(limit)
            print(format_limits([limit]), flush=True)
    path = _common.write_json(args.json, "matmul_limit", vars(args), limits)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
