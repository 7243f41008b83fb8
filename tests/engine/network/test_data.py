"""The network's data sets: deterministic from the seed, labelled 0/1, split as asked."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.network import DATA_SETS, DataConfig, make_data


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "xor", "gauss"])
def test_each_data_set_is_seeded_labelled_and_split(name: str) -> None:
    cfg = DataConfig(name=name, samples=200, noise=0.1, test_fraction=0.25, seed=5)
    d = make_data(cfg)
    assert d.x_train.shape == (150, 2) and d.x_test.shape == (50, 2)
    assert d.y_train.shape == (150,) and d.y_test.shape == (50,)
    both = np.concatenate([d.y_train, d.y_test])
    assert set(np.unique(both)) == {0.0, 1.0}
    assert 75 <= both.sum() <= 125  # the classes about balanced
    again = make_data(cfg)
    assert np.array_equal(d.x_train, again.x_train) and np.array_equal(d.y_test, again.y_test)
    other = make_data(DataConfig(name=name, samples=200, noise=0.1, test_fraction=0.25, seed=6))
    assert not np.array_equal(d.x_train, other.x_train)
    assert DATA_SETS[name].public()["name"] and DATA_SETS[name].public()["description"]


def test_noise_moves_the_points_and_the_split_is_shuffled() -> None:
    clean = make_data(DataConfig(noise=0.0, seed=1))
    noisy = make_data(DataConfig(noise=0.3, seed=1))
    # moons without noise: every point on one of the two unit half circles
    x = np.concatenate([clean.x_train, clean.x_test])
    y = np.concatenate([clean.y_train, clean.y_test])
    r0 = np.hypot(x[y == 0, 0], x[y == 0, 1])
    r1 = np.hypot(x[y == 1, 0] - 1.0, x[y == 1, 1] - 0.5)
    assert np.allclose(r0, 1.0) and np.allclose(r1, 1.0)
    assert not np.allclose(noisy.x_train, clean.x_train)
    # the test set is not the last points generated: both classes in it
    assert set(np.unique(clean.y_test)) == {0.0, 1.0}


def test_no_test_set() -> None:
    d = make_data(DataConfig(samples=10, test_fraction=0.0))
    assert d.x_train.shape == (10, 2) and d.x_test.shape == (0, 2)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", "mnist", "unknown data set 'mnist'"),
        ("samples", 1, "samples"),
        ("samples", 2.5, "samples"),
        ("noise", -0.1, "noise"),
        ("noise", float("nan"), "noise"),
        ("test_fraction", 1.0, "test_fraction"),
    ],
)
def test_bad_configs_are_refused_by_name(field: str, value: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        DataConfig(**{field: value})  # type: ignore[arg-type]
