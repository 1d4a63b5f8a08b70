"""sknnscratch.augment: the training-time image transforms.

The geometry is checked through the pure helpers, which take explicit
per-image parameters (a one-pixel shift, a 90 degree rotation); the public
call is checked for shape, dtype, range, identity, determinism and its errors.
"""

import json

import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import clone

from sknnscratch.augment import (
    TRANSFORMS,
    Compose,
    ElasticDistortion,
    RandomAffine,
    _affine_coordinates,  # the pure helpers take explicit per-image parameters
    _elastic_field,
    _grid,
    _sample,
    describe,
    from_description,
)

TRANSFORM_FACTORIES = {
    "affine": lambda: RandomAffine(),
    "elastic": lambda: ElasticDistortion(),
    "compose": lambda: Compose([RandomAffine(), ElasticDistortion()]),
    "compose_reversed": lambda: Compose([ElasticDistortion(), RandomAffine()]),
}


def digits(n=6, dtype=np.float64, seed=0):
    """Smooth digit-like images: a few blurred strokes on a 0 background."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28))
    for image in images:
        for _ in range(3):
            r, c = rng.integers(6, 22, size=2)
            image[r - 4 : r + 4, c - 1 : c + 1] = 1.0
    images = ndimage.gaussian_filter(images, (0, 1, 1))
    return (
        (images / images.max(axis=(1, 2), keepdims=True)).reshape(n, 784).astype(dtype)
    )


def affine(points_shape, **params):
    """_affine_coordinates of one image with explicit parameters."""
    full = {"shift": (0.0, 0.0), "rotation": 0.0, "scale": 1.0, "shear": 0.0}
    full.update(params)
    return _affine_coordinates(
        _grid(points_shape),
        points_shape,
        np.array([full["shift"]], dtype=float),
        np.array([full["rotation"]]),
        np.array([full["scale"]]),
        np.array([full["shear"]]),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", TRANSFORM_FACTORIES)
def test_shape_dtype_range_and_input_kept(name, dtype):
    X = digits(dtype=dtype) * 2 - 0.5  # background -0.5, strokes up to 1.5
    X[0] += 3.0  # an image with another background and range
    before = X.copy()
    out = TRANSFORM_FACTORIES[name]()(X, np.random.default_rng(0))
    assert out.shape == X.shape and out.dtype == X.dtype
    assert out is not X and not np.shares_memory(out, X)
    np.testing.assert_array_equal(X, before)
    assert np.all(out.min(axis=1) >= X.min(axis=1))
    assert np.all(out.max(axis=1) <= X.max(axis=1))
    assert not np.array_equal(out, X)
    assert np.isclose(out[0].min(), X[0].min())  # the fill is its own background


@pytest.mark.parametrize(
    "transform",
    [
        RandomAffine(shift=0, rotation=0, scale=0, shear=0),
        ElasticDistortion(alpha=0.0),
        Compose([RandomAffine(0.0, 0.0, 0.0, 0.0), ElasticDistortion(alpha=0)]),
    ],
    ids=repr,
)
def test_zero_strength_is_the_identity_exactly(transform):
    X = digits(dtype=np.float32)
    out = transform(X, np.random.default_rng(0))
    assert out is not X
    np.testing.assert_array_equal(out, X)
    grid = np.broadcast_to(_grid((28, 28)), (3, 2, 28, 28))
    assert np.array_equal(transform.coordinates(3, np.random.default_rng(0)), grid)


def test_a_one_pixel_shift_moves_a_pixel_to_its_neighbour():
    image = np.zeros((1, 28, 28))
    image[0, 10, 12] = 1.0
    for shift, moved_to in [((0, 1), (10, 13)), ((1, 0), (11, 12)), ((-1, 0), (9, 12))]:
        coords = affine((28, 28), shift=shift)
        out = _sample(image, coords[:, 0], coords[:, 1], np.zeros(1))[0]
        expected = np.zeros((28, 28))
        expected[moved_to] = 1.0
        np.testing.assert_allclose(out, expected, atol=1e-12)


def test_a_pure_shift_moves_every_pixel_alike_within_its_bound():
    coords = RandomAffine(shift=3, rotation=0, scale=0, shear=0).coordinates(
        50, np.random.default_rng(0)
    )
    offsets = coords - _grid((28, 28))
    per_image = offsets[:, :, :1, :1]
    np.testing.assert_allclose(offsets, np.broadcast_to(per_image, offsets.shape))
    assert np.abs(per_image).max() <= 3 and np.abs(per_image).max() > 2


@pytest.mark.parametrize("angle, k", [(90, 1), (-90, -1), (180, 2)])
def test_a_quarter_turn_matches_rot90(angle, k):
    image = np.random.default_rng(0).random((1, 28, 28))
    coords = affine((28, 28), rotation=angle)
    out = _sample(image, coords[:, 0], coords[:, 1], np.zeros(1))[0]
    # Rounding puts some border positions a hair outside the image, where they
    # blend with the fill: exact up to that.
    np.testing.assert_allclose(out, np.rot90(image[0], k), atol=1e-9)


def test_scale_and_shear_follow_the_documented_matrix():
    # Scale 2 about the centre: output offset p reads input offset p / 2.
    coords = affine((5, 5), scale=2.0)
    np.testing.assert_allclose(coords[0, :, 4, 4], [3.0, 3.0], atol=1e-12)
    # Shear: a pixel moves sideways by tan(phi) times its row offset, so the
    # output at row offset 2 reads the input 2 * tan(45) = 2 columns to the left.
    coords = affine((5, 5), shear=45.0)
    np.testing.assert_allclose(coords[0, :, 4, 2], [4.0, 0.0], atol=1e-12)


def test_bilinear_sampling_matches_map_coordinates():
    rng = np.random.default_rng(0)
    images = rng.random((4, 7, 9))
    coords = rng.uniform(-3, 11, size=(2, 4, 7, 9))
    stacked = np.concatenate(
        [np.broadcast_to(np.arange(4.0)[:, None, None], (4, 7, 9))[None], coords]
    )
    for fill, mode in [(np.full(4, -0.25), "grid-constant"), (None, "nearest")]:
        ours = _sample(images, coords[0], coords[1], fill)
        scipy = ndimage.map_coordinates(images, stacked, order=1, mode=mode, cval=-0.25)
        np.testing.assert_allclose(ours, scipy, atol=1e-12)


def test_the_elastic_field_is_simards_smoothed_noise():
    uniform = np.random.default_rng(0).uniform(-1, 1, size=(3, 2, 28, 28))
    expected = 34.0 * ndimage.gaussian_filter(uniform, (0, 0, 4.0, 4.0))
    np.testing.assert_allclose(_elastic_field(uniform, 34.0, 4.0), expected, atol=1e-12)
    np.testing.assert_array_equal(_elastic_field(uniform, 1.0, 0.0), uniform)


def test_elastic_smoothness_grows_with_sigma():
    roughness = []
    for sigma in [0.5, 1.0, 2.0, 4.0, 8.0]:
        field = ElasticDistortion(alpha=1.0, sigma=sigma).coordinates(
            20, np.random.default_rng(0)
        ) - _grid((28, 28))
        step = (
            np.abs(np.diff(field, axis=-1)).mean()
            + np.abs(np.diff(field, axis=-2)).mean()
        )
        roughness.append(step / np.abs(field).mean())
    assert roughness == sorted(roughness, reverse=True), roughness


def test_the_elastic_field_scales_with_alpha():
    fields = [
        ElasticDistortion(alpha=a).coordinates(4, np.random.default_rng(0))
        - _grid((28, 28))
        for a in (1.0, 34.0)
    ]
    np.testing.assert_allclose(fields[1], 34.0 * fields[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", TRANSFORM_FACTORIES)
def test_same_seed_same_batch_other_seed_other_batch(name):
    X = digits()
    transform = TRANSFORM_FACTORIES[name]()
    # The global stream is never touched.
    global_state = np.random.get_state()[1].copy()  # noqa: NPY002
    first = transform(X, np.random.default_rng(7))
    np.testing.assert_array_equal(first, transform(X, np.random.default_rng(7)))
    assert not np.array_equal(first, transform(X, np.random.default_rng(8)))
    np.testing.assert_array_equal(np.random.get_state()[1], global_state)  # noqa: NPY002


@pytest.mark.parametrize(
    "steps",
    [[RandomAffine(), ElasticDistortion()], [ElasticDistortion(), RandomAffine()]],
)
def test_compose_resamples_once_what_the_steps_do_one_by_one(steps):
    # The same generator hands the same draws to the steps in both cases.
    X = digits(20)
    once = Compose(steps)(X, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    one_by_one = X
    for step in steps:
        one_by_one = step(one_by_one, rng)
    change = np.abs(one_by_one - X).mean()
    assert np.abs(once - one_by_one).mean() < 0.15 * change


def test_compose_of_one_step_is_that_step_and_skips_identity_steps():
    X = digits()
    affine_only = RandomAffine()(X, np.random.default_rng(3))
    for steps in [[RandomAffine()], [ElasticDistortion(alpha=0), RandomAffine()]]:
        out = Compose(steps)(X, np.random.default_rng(3))
        np.testing.assert_array_equal(out, affine_only)
    nested = Compose([Compose([RandomAffine()]), RandomAffine(0, 0, 0, 0)])
    np.testing.assert_array_equal(nested(X, np.random.default_rng(3)), affine_only)


def test_an_empty_batch_and_a_non_contiguous_batch():
    X = digits(8)
    assert RandomAffine()(X[:0], np.random.default_rng(0)).shape == (0, 784)
    strided = RandomAffine()(X[::2], np.random.default_rng(0))
    np.testing.assert_array_equal(
        strided, RandomAffine()(X[::2].copy(), np.random.default_rng(0))
    )


@pytest.mark.parametrize("name", TRANSFORM_FACTORIES)
def test_check_width_names_both_numbers(name):
    transform = TRANSFORM_FACTORIES[name]()
    transform.check_width(784)
    message = r"28\*28 = 784 pixels \(image_shape=\(28, 28\)\) but X has 100 features"
    with pytest.raises(ValueError, match=message):
        transform.check_width(100)
    with pytest.raises(ValueError, match=message):
        transform(np.zeros((2, 100)), np.random.default_rng(0))


def test_the_call_refuses_bad_input():
    transform = RandomAffine(image_shape=(4, 4))
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="2-D"):
        transform(np.zeros(16), rng)
    with pytest.raises(TypeError, match="float32 or float64"):
        transform(np.zeros((2, 16), dtype=np.uint8), rng)
    with pytest.raises(TypeError, match="float32 or float64"):
        transform([[0.0] * 16], rng)
    with pytest.raises(TypeError, match="Generator"):
        transform(np.zeros((2, 16)), np.random.RandomState(0))
    with pytest.raises(TypeError, match="Generator"):
        RandomAffine(0, 0, 0, 0, (4, 4))(np.zeros((2, 16)), 0)


@pytest.mark.parametrize(
    "transform, match",
    [
        (RandomAffine(shift=-1), "shift"),
        (RandomAffine(rotation=181), "rotation"),
        (RandomAffine(scale=1.0), "scale"),
        (RandomAffine(shear=90), "shear"),
        (RandomAffine(shift="2"), "shift"),
        (RandomAffine(shift=True), "shift"),
        (RandomAffine(image_shape=(28,)), "image_shape"),
        (RandomAffine(image_shape=(28, 0)), "image_shape"),
        (ElasticDistortion(alpha=np.nan), "alpha"),
        (ElasticDistortion(sigma=np.inf), "sigma"),
        (ElasticDistortion(alpha=10**400), "alpha"),
        (Compose([]), "non-empty"),
        (Compose(RandomAffine()), "non-empty"),
        (Compose([RandomAffine(), lambda X, rng: X]), "is not a RandomAffine"),
        (
            Compose([RandomAffine(), ElasticDistortion(image_shape=(16, 16))]),
            r"disagree on image_shape: \[\(16, 16\), \(28, 28\)\]",
        ),
    ],
    ids=repr,
)
def test_invalid_parameters_are_refused_at_check_time(transform, match):
    with pytest.raises(ValueError, match=match):
        transform.check_width(784)


def test_scikit_learn_parameter_protocol():
    transform = Compose([RandomAffine(rotation=15.0), ElasticDistortion()])
    assert repr(transform) == (
        "Compose(steps=[RandomAffine(rotation=15.0), ElasticDistortion()])"
    )
    copy = clone(transform)
    assert copy is not transform and copy.steps[0] is not transform.steps[0]
    assert copy.steps[0].get_params() == transform.steps[0].get_params()
    affine = RandomAffine().set_params(shift=1.0, image_shape=(16, 16))
    assert affine.get_params() == {
        "shift": 1.0,
        "rotation": 10.0,
        "scale": 0.1,
        "shear": 10.0,
        "image_shape": (16, 16),
    }
    assert ElasticDistortion().get_params() == {
        "alpha": 34.0,
        "sigma": 4.0,
        "image_shape": (28, 28),
    }


def test_describe_round_trips_through_json():
    transform = Compose(
        [
            RandomAffine(shift=np.float32(1.5), image_shape=(16, 16)),
            Compose([ElasticDistortion(alpha=20, sigma=3.0, image_shape=[16, 16])]),
        ]
    )
    data = json.loads(json.dumps(describe(transform)))
    assert data["transform"] == "Compose"
    assert data["params"]["steps"][0] == {
        "transform": "RandomAffine",
        "params": {
            "shift": 1.5,
            "rotation": 10.0,
            "scale": 0.1,
            "shear": 10.0,
            "image_shape": [16, 16],
        },
    }
    rebuilt = from_description(data)
    assert describe(rebuilt) == data
    assert rebuilt.steps[0].image_shape == (16, 16)
    X = digits(3)[:, :256].copy()
    np.testing.assert_array_equal(
        rebuilt(X, np.random.default_rng(0)), transform(X, np.random.default_rng(0))
    )
    assert set(TRANSFORMS) == {"RandomAffine", "ElasticDistortion", "Compose"}


def test_describe_refuses_what_a_model_file_cannot_hold():
    class MyAffine(RandomAffine):
        pass

    for foreign in [lambda X, rng: X, MyAffine(), Compose([MyAffine()])]:
        with pytest.raises(TypeError, match="can't be saved in a model file"):
            describe(foreign)
    with pytest.raises(ValueError, match="scale"):
        describe(RandomAffine(scale=2.0))


@pytest.mark.parametrize(
    "data, match",
    [
        ({"transform": "os.system", "params": {}}, "unknown augment transform"),
        ({"transform": ["RandomAffine"], "params": {}}, "unknown augment transform"),
        ({"transform": "RandomAffine"}, "exactly the keys"),
        ([], "exactly the keys"),
        ({"transform": "RandomAffine", "params": {"evil": 1}}, "keys among"),
        ({"transform": "RandomAffine", "params": []}, "keys among"),
        ({"transform": "RandomAffine", "params": {"shift": -1}}, "shift"),
        ({"transform": "Compose", "params": {}}, "'steps' must be a list"),
        ({"transform": "Compose", "params": {"steps": [{"x": 1}]}}, "exactly the keys"),
    ],
    ids=repr,
)
def test_from_description_refuses_bad_data(data, match):
    with pytest.raises(ValueError, match=match):
        from_description(data)


def test_from_description_refuses_deep_nesting():
    data = {"transform": "RandomAffine", "params": {}}
    for _ in range(50):
        data = {"transform": "Compose", "params": {"steps": [data]}}
    with pytest.raises(ValueError, match="nested deeper"):
        from_description(data)
