"""Training-time image augmentation: random affine and elastic distortions.

Simard, Steinkraus & Platt (2003) trained on freshly deformed MNIST digits
every epoch. ``transform(X, rng)`` deforms a batch ``X`` of flattened images
(one row-major ``height x width`` image per row) with the random draws of a
:class:`numpy.random.Generator`, the same seed giving the same batch bit for
bit, and returns a new array of the same shape and dtype. Output pixel ``p``
reads the input at a position ``T(p)`` by bilinear interpolation, each image
continued beyond its border by its own minimum (its background): outputs are
convex combinations of input pixels. :func:`describe` and
:func:`from_description` turn a transform into JSON data and back, for model
files without pickle.

All work happens in the calling thread. Should work ever be prepared on
another thread, that thread must draw from a child stream, ``rng.spawn(1)[0]``,
never from the shared ``rng``, so that results never depend on thread timing.
"""

import numbers

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator

__all__ = [
    "TRANSFORMS",
    "Compose",
    "ElasticDistortion",
    "RandomAffine",
    "describe",
    "from_description",
]

#: Nesting limit of :func:`from_description`, against hostile files.
_MAX_DEPTH = 8


def _check_real(owner, name, value, low, high=np.inf, high_open=False):
    """Raise ValueError unless ``low <= value <= high`` (``< high`` if open)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    try:
        number = float(value) if real else np.nan
    except OverflowError:  # an int too large for a float
        number = np.nan
    # The chained comparison refuses NaN too.
    if not (low <= number <= high and np.isfinite(number)) or (
        high_open and number == high
    ):
        bound = "<" if high_open else "<="
        raise ValueError(
            f"{owner}: {name} must be a number with {low} <= {name} {bound} {high}, "
            f"got {value!r}."
        )


def _check_image_shape(owner, image_shape):
    """The ``(height, width)`` pair as a tuple of ints, or ValueError."""
    pair = isinstance(image_shape, tuple | list) and len(image_shape) == 2
    if not pair or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
        for s in image_shape
    ):
        raise ValueError(
            f"{owner}: image_shape must be a pair of positive integers "
            f"(height, width), got {image_shape!r}."
        )
    return int(image_shape[0]), int(image_shape[1])


def _grid(image_shape):
    """Row and column index of every pixel, shape ``(1, 2, height, width)``."""
    return np.indices(image_shape, dtype=np.float64)[np.newaxis]


def _sample(images, rows, cols, fill):
    """Image ``i`` of ``(n, h, w)`` ``images`` read at ``(rows[i], cols[i])``.

    Bilinear, as ``map_coordinates(order=1, mode="grid-constant",
    cval=fill[i])`` up to rounding; ``fill=None`` continues the edge pixels
    instead (``mode="nearest"``, for displacement fields).
    """
    # Gathering the four neighbours in NumPy is ~7 times faster than
    # map_coordinates on the stacked batch, and a frame gives each its fill.
    n, h, w = images.shape
    if fill is None:
        padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), mode="edge")
    else:
        padded = np.empty((n, h + 2, w + 2), images.dtype)
        padded[...] = fill[:, np.newaxis, np.newaxis]
        padded[:, 1:-1, 1:-1] = images
    # Clipped to the frame, any position further out reads the fill (or edge).
    r = np.clip(rows + 1.0, 0.0, h + 1.0)
    c = np.clip(cols + 1.0, 0.0, w + 1.0)
    r0, c0 = np.minimum(np.floor(r), h), np.minimum(np.floor(c), w)
    fr, fc = (r - r0).astype(images.dtype), (c - c0).astype(images.dtype)
    index = r0.astype(np.intp) * (w + 2) + c0.astype(np.intp)
    index += (np.arange(n) * padded[0].size)[:, np.newaxis, np.newaxis]
    flat = padded.reshape(-1)
    top_left, top_right = flat[index], flat[index + 1]
    low_left, low_right = flat[index + w + 2], flat[index + w + 3]
    top = top_left + fc * (top_right - top_left)
    return top + fr * (low_left + fc * (low_right - low_left) - top)


def _affine_coordinates(points, image_shape, shift, rotation, scale, shear):
    """Where the affine maps read their input, at output ``points``.

    See :class:`RandomAffine` for the forward map ``p = c + s R H (q - c) + t``;
    its inverse reads the input at ``q = c + A (p - c - t)`` with
    ``A = H(-phi) R(-theta) / s
    = [[cos, sin], [-sin - tan(phi) cos, cos - tan(phi) sin]] / s``.
    ``points`` is ``(n or 1, 2, h, w)`` (row, column); ``shift`` ``(n, 2)``
    pixels; ``rotation``, ``scale``, ``shear`` ``(n,)``, angles in degrees.
    Returns the ``(n, 2, h, w)`` input positions.
    """
    theta, phi = np.radians(rotation), np.radians(shear)
    cos, sin, tan = np.cos(theta), np.sin(theta), np.tan(phi)
    matrix = np.array([[cos, sin], [-sin - tan * cos, cos - tan * sin]]) / scale
    centre = (np.asarray(image_shape, dtype=np.float64) - 1) / 2
    offsets = points - (centre + shift)[:, :, np.newaxis, np.newaxis]
    return np.einsum("ijn,njhw->nihw", matrix, offsets) + centre[:, None, None]


def _gaussian_matrix(size, sigma):
    """The matrix ``G`` such that ``G @ f == gaussian_filter1d(f, sigma, 0)``."""
    # The filter is linear, so filtering the identity gives its matrix; two
    # matrix products (BLAS) smooth a batch of small fields several times
    # faster than gaussian_filter, with the same result.
    if sigma == 0:
        return np.eye(size)
    return ndimage.gaussian_filter1d(np.eye(size), float(sigma), axis=0)


def _elastic_field(uniform, alpha, sigma):
    """Simard's field ``d = alpha * (G_sigma * u)`` from ``(n, 2, h, w)`` noise.

    As ``alpha * scipy.ndimage.gaussian_filter(u, (0, 0, sigma, sigma))``
    (reflected at the border, truncated at 4 sigma). Not normalised:
    smoothing shrinks the field as sigma grows, so alpha and sigma go together.
    """
    h, w = uniform.shape[-2:]
    smooth = _gaussian_matrix(h, sigma) @ uniform @ _gaussian_matrix(w, sigma).T
    return alpha * smooth


class _Transform(BaseEstimator):
    """What the transforms share.

    Subclasses set ``_bounds`` and write ``_draw(n, rng)`` (a batch's random
    parameters) and ``_pull(params, points)`` (where output ``points``, None
    for the pixel grid, read the input).
    """

    _bounds = {}

    def __call__(self, X, rng):
        """Return a randomly deformed copy of the batch ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_rows, height * width), float32 or float64
            One flattened row-major image per row.
        rng : numpy.random.Generator
            The source of every random draw.

        Returns
        -------
        ndarray of the shape and dtype of ``X``
            A new array; with every strength 0, an exact copy of ``X``.

        Raises
        ------
        TypeError
            If ``X`` is not a float32/float64 array or ``rng`` not a Generator.
        ValueError
            If ``X`` is not 2-D or has the wrong width, or a parameter is bad.
        """
        if not isinstance(X, np.ndarray) or X.dtype not in (np.float32, np.float64):
            kind = X.dtype if isinstance(X, np.ndarray) else type(X).__name__
            raise TypeError(f"augment expects a float32 or float64 array, got {kind}.")
        if X.ndim != 2:
            raise ValueError(
                f"augment expects a 2-D array, one image per row; got shape {X.shape}."
            )
        self.check_width(X.shape[1])
        coordinates = self.coordinates(len(X), rng)
        if len(X) == 0 or self._is_identity():
            return X.copy()
        images = X.reshape(len(X), *self._image_shape())
        low, high = images.min(axis=(1, 2)), images.max(axis=(1, 2))
        out = _sample(images, coordinates[:, 0], coordinates[:, 1], low)
        # Exact arithmetic stays in range; the clip removes rounding overshoot.
        np.clip(out, low[:, None, None], high[:, None, None], out=out)
        return out.reshape(X.shape)

    def check_width(self, n_features):
        """Check the parameters and that ``n_features == height * width``.

        Raises
        ------
        ValueError
            Naming both numbers when the width is wrong; or a bad parameter.
        """
        self._validate()
        h, w = self._image_shape()
        if n_features != h * w:
            raise ValueError(
                f"augment expects rows of {h}*{w} = {h * w} pixels "
                f"(image_shape=({h}, {w})) but X has {n_features} features."
            )

    def coordinates(self, n_images, rng):
        """Draw the sampling positions of a batch of ``n_images`` images.

        Returns
        -------
        coords : ndarray of shape (n_images, 2, height, width), float64
            Output pixel ``(r, c)`` of image ``i`` reads the input at row
            ``coords[i, 0, r, c]`` and column ``coords[i, 1, r, c]``.
        """
        self._validate()
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"augment needs a numpy.random.Generator, not {rng!r}.")
        if self._is_identity():
            return np.repeat(_grid(self._image_shape()), n_images, axis=0)
        return self._pull(self._draw(n_images, rng), None)

    def _validate(self):
        owner = type(self).__name__
        for name, (low, high, high_open) in self._bounds.items():
            _check_real(owner, name, getattr(self, name), low, high, high_open)
        _check_image_shape(owner, self.image_shape)

    def _image_shape(self):
        return _check_image_shape(type(self).__name__, self.image_shape)


class RandomAffine(_Transform):
    """Random shift, rotation, scaling and shear of each image.

    Per image, drawn uniformly and independently: a shift ``t`` in
    ``[-shift, shift]`` pixels per axis, a rotation ``theta`` in
    ``[-rotation, rotation]`` degrees, a scale factor ``s`` in
    ``[1 - scale, 1 + scale]`` and a shear angle ``phi`` in ``[-shear, shear]``
    degrees. About the image centre ``c``, a pixel at ``q`` moves to
    ``c + s R(theta) H(phi) (q - c) + t``, in (row, column) coordinates, with
    ``R(theta) = [[cos, -sin], [sin, cos]]`` (counter-clockwise as displayed)
    and ``H(phi) = [[1, 0], [tan phi, 1]]``.

    Parameters
    ----------
    shift : float, default=2.0
        Largest shift in pixels (2 keeps an MNIST digit inside its 28 x 28).
    rotation : float, default=10.0
        Largest rotation in degrees, at most 180.
    scale : float, default=0.1
        Largest relative change of size, below 1.
    shear : float, default=10.0
        Largest shear angle in degrees, below 90.
    image_shape : (int, int), default=(28, 28)
        ``(height, width)`` of the images.
    """

    _bounds = {
        "shift": (0, np.inf, False),
        "rotation": (0, 180, False),
        "scale": (0, 1, True),
        "shear": (0, 90, True),
    }

    def __init__(
        self, shift=2.0, rotation=10.0, scale=0.1, shear=10.0, image_shape=(28, 28)
    ):
        self.shift = shift
        self.rotation = rotation
        self.scale = scale
        self.shear = shear
        self.image_shape = image_shape

    def _is_identity(self):
        return not (self.shift or self.rotation or self.scale or self.shear)

    def _draw(self, n, rng):
        return (
            rng.uniform(-self.shift, self.shift, size=(n, 2)),
            rng.uniform(-self.rotation, self.rotation, size=n),
            rng.uniform(1 - self.scale, 1 + self.scale, size=n),
            rng.uniform(-self.shear, self.shear, size=n),
        )

    def _pull(self, params, points):
        shape = self._image_shape()
        points = _grid(shape) if points is None else points
        return _affine_coordinates(points, shape, *params)


class ElasticDistortion(_Transform):
    """Simard's elastic distortion: a smooth random displacement of each image.

    Per image and axis, a field ``u`` uniform in ``[-1, 1]`` per pixel is
    smoothed by a Gaussian ``G_sigma`` of standard deviation ``sigma`` pixels
    and scaled by ``alpha``, ``d = alpha * (G_sigma * u)``; output pixel ``p``
    reads the input at ``p + d(p)``. A small ``sigma`` gives a jittery, almost
    random displacement; a large one an almost rigid shift, small unless
    ``alpha`` grows too.

    Parameters
    ----------
    alpha : float, default=34.0
        Scale of the field in pixels (Simard et al. 2003, for MNIST).
    sigma : float, default=4.0
        Width of the smoothing Gaussian in pixels (Simard et al. 2003).
    image_shape : (int, int), default=(28, 28)
        ``(height, width)`` of the images.
    """

    _bounds = {"alpha": (0, np.inf, False), "sigma": (0, np.inf, False)}

    def __init__(self, alpha=34.0, sigma=4.0, image_shape=(28, 28)):
        self.alpha = alpha
        self.sigma = sigma
        self.image_shape = image_shape

    def _is_identity(self):
        return not self.alpha

    def _draw(self, n, rng):
        uniform = rng.uniform(-1.0, 1.0, size=(n, 2, *self._image_shape()))
        return _elastic_field(uniform, self.alpha, self.sigma)

    def _pull(self, field, points):
        if points is None:
            return _grid(self._image_shape()) + field
        # Positions a later step produced fall between pixels: interpolate the
        # field there, continued beyond the edges.
        rows, cols = points[:, 0], points[:, 1]
        shifts = [_sample(field[:, axis], rows, cols, None) for axis in (0, 1)]
        return points + np.stack(shifts, axis=1)


class Compose(_Transform):
    """Apply several transforms in order, resampling each image once.

    The steps' maps are chained, ``T = T_1 o T_2 o ... o T_k``, and the batch
    is read once at ``T(p)``: as applying the steps one after the other, but
    interpolated once, not k times, and not cropped between steps. Random
    draws are made step by step, in order; steps of zero strength draw none.

    Parameters
    ----------
    steps : list of transforms
        :class:`RandomAffine`, :class:`ElasticDistortion` or :class:`Compose`
        instances with the same ``image_shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknnscratch.augment import Compose, ElasticDistortion, RandomAffine
    >>> augment = Compose([RandomAffine(), ElasticDistortion()])
    >>> augment
    Compose(steps=[RandomAffine(), ElasticDistortion()])
    >>> X = np.random.default_rng(0).random((5, 784))
    >>> augment(X, np.random.default_rng(1)).shape
    (5, 784)
    """

    def __init__(self, steps):
        self.steps = steps

    def _validate(self):
        if not isinstance(self.steps, list | tuple) or not self.steps:
            raise ValueError(f"Compose: steps must be a non-empty list: {self.steps!r}")
        for step in self.steps:
            if not isinstance(step, _Transform):
                raise ValueError(
                    f"Compose: step {step!r} is not a RandomAffine, "
                    "ElasticDistortion or Compose."
                )
            step._validate()
        shapes = {step._image_shape() for step in self.steps}
        if len(shapes) > 1:
            raise ValueError(
                f"Compose: steps disagree on image_shape: {sorted(shapes)}."
            )

    def _image_shape(self):
        return self.steps[0]._image_shape()

    def _is_identity(self):
        return all(step._is_identity() for step in self.steps)

    def _draw(self, n, rng):
        steps = [step for step in self.steps if not step._is_identity()]
        return [(step, step._draw(n, rng)) for step in steps]

    def _pull(self, params, points):
        # The last step acts last, so it is the first to map an output pixel.
        for step, step_params in reversed(params):
            points = step._pull(step_params, points)
        return points


#: The classes :func:`from_description` may instantiate, by name.
TRANSFORMS = {
    "RandomAffine": RandomAffine,
    "ElasticDistortion": ElasticDistortion,
    "Compose": Compose,
}


def _plain(value):
    """NumPy scalars as Python numbers and tuples as lists, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def describe(transform):
    """A transform as plain JSON-able data, for a model file.

    Returns
    -------
    dict
        ``{"transform": class name, "params": {...}}``, tuples as lists; a
        Compose's ``steps`` is the list of its steps' descriptions.

    Raises
    ------
    TypeError
        If ``transform`` is not exactly a class of :data:`TRANSFORMS` (say a
        callable of your own).
    ValueError
        If a parameter is invalid.
    """
    name = type(transform).__name__
    if TRANSFORMS.get(name) is not type(transform):
        raise TypeError(
            f"augment={transform!r} can't be saved in a model file: only "
            f"{', '.join(TRANSFORMS)} can (model files hold no pickle)."
        )
    transform._validate()
    params = transform.get_params(deep=False)
    if isinstance(transform, Compose):
        params = {"steps": [describe(step) for step in transform.steps]}
    return {"transform": name, "params": {k: _plain(v) for k, v in params.items()}}


def from_description(data):
    """Rebuild the transform :func:`describe` described (JSON round trip or not).

    Only the classes of :data:`TRANSFORMS` are ever instantiated.

    Raises
    ------
    ValueError
        For an unknown transform name, a malformed structure, an unknown
        parameter or an invalid value.
    """
    return _build(data, 0)


def _build(data, depth):
    if depth > _MAX_DEPTH:
        raise ValueError(f"augment description nested deeper than {_MAX_DEPTH}.")
    if not isinstance(data, dict) or set(data) != {"transform", "params"}:
        raise ValueError(
            "an augment description is a dict with exactly the keys 'transform' "
            f"and 'params', got {data!r}."
        )
    name, params = data["transform"], data["params"]
    cls = TRANSFORMS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown augment transform {name!r}; known: {[*TRANSFORMS]}")
    expected = cls._get_param_names()
    if not isinstance(params, dict) or not set(params) <= set(expected):
        raise ValueError(f"{name}: params must be a dict with keys among {expected}.")
    if cls is Compose:
        if not isinstance(params.get("steps"), list):
            raise ValueError(f"Compose: 'steps' must be a list, got {params!r}.")
        steps = [_build(step, depth + 1) for step in params["steps"]]
        params = {"steps": steps}
    else:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    transform = cls(**params)
    transform._validate()
    return transform
