"""extract: the pieces — feature names, VGG19 forward, weights checks, N4, 0..255, ROI choice and crop.

Oracles: torchvision's own VGG19 (hooks on its modules), hand-made masks whose answer is
known by construction, a synthetic bias field whose strength we set.
"""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from extract import ExtractError, feature_names  # noqa: E402
from extract.config import Settings  # noqa: E402
from extract.patient import prepare_phase  # noqa: E402
from extract.preprocess import n4_correct, to_0_255  # noqa: E402
from extract.roi import axial_axis, bounding_box, crop, largest_slice, resize  # noqa: E402
from extract.synthetic import make_volume  # noqa: E402
from extract.vgg import FeatureExtractor, build_model, load_weights, to_model_input  # noqa: E402


@pytest.fixture(scope="module")
def model():
    net, wid = build_model(random_weights=True, seed=0)
    return net, wid


def test_feature_names_are_1472_in_block_order():
    names = feature_names()
    assert len(names) == 1472 == len(set(names))
    assert names[0] == "vgg19_b1_c0" and names[63] == "vgg19_b1_c63" and names[64] == "vgg19_b2_c0"
    assert names[-1] == "vgg19_b5_c511"
    counts = [sum(n.startswith(f"vgg19_b{b}_") for n in names) for b in range(1, 6)]
    assert counts == [64, 128, 256, 512, 512]


@pytest.mark.parametrize("size", [32, 64])
def test_feature_shapes_against_vgg19_channel_counts(model, size):
    out = FeatureExtractor(model[0])(np.random.default_rng(0).uniform(0, 255, (5, size, size)))
    assert out.shape == (5, 1472) and out.dtype == np.float32 and np.isfinite(out).all()
    assert model[1] == "random"


def test_features_against_torchvision_forward_hooks(model, tmp_path):
    """Our 1472 values == global means of torchvision's VGG19 block-end ReLUs on the same crop."""
    img, msk, _, _ = make_volume((8, 48, 48), rng=np.random.default_rng(1))
    sitk.WriteImage(img, str(tmp_path / "a.nii.gz"))
    sitk.WriteImage(msk, str(tmp_path / "m.nii.gz"))
    crop64, _ = prepare_phase(tmp_path / "a.nii.gz", tmp_path / "m.nii.gz", Settings(size=64))
    ours = FeatureExtractor(model[0])(crop64[None])[0]

    tv = torchvision.models.vgg19(weights=None).eval()
    tv.features.load_state_dict(model[0].features.state_dict())
    taps = [i - 1 for i, m in enumerate(tv.features) if isinstance(m, torch.nn.MaxPool2d)]
    assert taps == [3, 8, 17, 26, 35]
    seen = []
    for i in taps:
        tv.features[i].register_forward_hook(
            lambda _m, _i, out: seen.append(out.mean(dim=(2, 3)).clone())
        )
    grey = torch.from_numpy(crop64 / 255.0).float().expand(1, 3, 64, 64)
    x = torchvision.transforms.functional.normalize(
        grey, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    )
    with torch.no_grad():
        tv(x)
    expected = torch.cat(seen, dim=1)[0].numpy()
    # channels-last vs NCHW convolutions sum in another order: float32 round-off only
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5)
    assert np.abs(expected).max() > 0


def test_bf16_features_near_fp32(model):
    crops = np.random.default_rng(2).uniform(0, 255, (3, 32, 32))
    fp32 = FeatureExtractor(model[0])(crops)
    bf16 = FeatureExtractor(model[0], dtype="bf16")(crops)
    # bfloat16 keeps 8 bits of mantissa: agreement to a few per cent of the scale
    assert np.abs(bf16 - fp32).max() < 0.05 * np.abs(fp32).max()


def test_random_weights_seeded(model):
    again, _ = build_model(random_weights=True, seed=0)
    other, _ = build_model(random_weights=True, seed=1)
    a, b, c = (m.features[0].weight for m in (model[0], again, other))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_model_input_against_imagenet_normalisation():
    crop = np.full((1, 4, 4), 255.0 * 0.485)
    x = to_model_input(crop)
    assert x.shape == (1, 3, 4, 4)
    np.testing.assert_allclose(x[0, 0].numpy(), 0.0, atol=1e-6)
    np.testing.assert_allclose(x[0, 1].numpy(), (0.485 - 0.456) / 0.224, rtol=1e-5)


def _save(tmp_path, name, obj):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def test_weights_file_loads_and_is_hashed(model, tmp_path):
    state = {f"features.{k}": v for k, v in model[0].features.state_dict().items()}
    path = _save(tmp_path, "vgg19.pth", state)
    net, wid = build_model(path)
    import hashlib

    assert wid == hashlib.sha256(path.read_bytes()).hexdigest()
    assert torch.equal(net.features[0].weight, model[0].features[0].weight)


def test_weights_wrong_keys_refused(tmp_path):
    with torch.device("meta"):
        vgg16 = torchvision.models.vgg16(weights=None)
    state = {
        k: torch.zeros(v.shape) for k, v in vgg16.state_dict().items() if k.startswith("features.")
    }
    with pytest.raises(
        ExtractError, match=r"vgg16\.pth: not torchvision's VGG19 weights: missing features\."
    ):
        build_model(_save(tmp_path, "vgg16.pth", state))


def test_weights_wrong_shapes_refused(model, tmp_path):
    state = {f"features.{k}": v for k, v in model[0].features.state_dict().items()}
    state["features.0.weight"] = torch.zeros(64, 1, 3, 3)
    with pytest.raises(
        ExtractError,
        match=r"shape of features\.0\.weight \(64, 1, 3, 3\) \(VGG19: \(64, 3, 3, 3\)\)",
    ):
        load_weights(_save(tmp_path, "gray.pth", state))


def test_weights_not_a_state_dict_refused(tmp_path):
    (tmp_path / "notes.pth").write_text("not a checkpoint")
    with pytest.raises(ExtractError, match="notes.pth: not a PyTorch state dict"):
        load_weights(tmp_path / "notes.pth")
    with pytest.raises(ExtractError, match="holds a list"):
        load_weights(_save(tmp_path, "list.pth", [torch.zeros(2)]))


def test_no_weights_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty torch home: nothing cached
    with pytest.raises(
        ExtractError, match=r"no VGG19 weights: give --weights PATH .*nothing is downloaded"
    ):
        build_model()


def test_weights_found_in_torch_home(model, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    state = {f"features.{k}": v for k, v in model[0].features.state_dict().items()}
    _save(tmp_path / "hub" / "checkpoints", "vgg19-dcbb9e9d.pth", state)
    _, wid = build_model()
    assert len(wid) == 64


def test_n4_lowers_bias_field_cv():
    img, _, field, clean = make_volume(
        (12, 64, 64), rng=np.random.default_rng(3), bias=0.8, noise=0.02
    )
    tissue = clean == 100.0  # homogeneous tissue: its spread is the bias
    before = sitk.GetArrayFromImage(img)[tissue]
    after = sitk.GetArrayFromImage(n4_correct(img))[tissue]
    cv_before, cv_after = before.std() / before.mean(), after.std() / after.mean()
    assert cv_before > 0.2
    assert cv_after < 0.5 * cv_before  # the bias dominates the spread; N4 removes most of it


def test_n4_single_slice_keeps_geometry():
    img, _, _, _ = make_volume((1, 64, 64), rng=np.random.default_rng(4))
    out = n4_correct(img)
    assert out.GetSize() == img.GetSize() and out.GetSpacing() == img.GetSpacing()


def test_0_255_min_max_and_percentiles():
    v = np.arange(101.0)
    np.testing.assert_allclose(to_0_255(v)[[0, 50, 100]], [0, 127.5, 255])
    clipped = to_0_255(v, percentiles=(10, 90))
    assert clipped[:11].max() == 0 and clipped[90:].min() == 255
    np.testing.assert_allclose(clipped[50], 127.5)
    assert (to_0_255(np.ones(5)) == 0).all()


def _blobs():
    """Tumour A: 3 slices of 5x5 (75 voxels, largest 25); tumour B: one 7x7 slice (49 voxels)."""
    m = np.zeros((8, 30, 30), bool)
    m[1:4, 2:7, 2:7] = True
    m[3, 1, 1:3] = True  # A's widest slice: 25 + 2 = 27
    m[6, 15:22, 18:25] = True
    return m


def test_largest_slice_of_largest_tumour_on_hand_made_mask():
    choice = largest_slice(_blobs())
    assert (choice.index, choice.area, choice.n_components) == (3, 27, 2)
    assert choice.mask.sum() == 27 and not choice.mask[15:22, 18:25].any()


def test_largest_slice_all_tumours_on_hand_made_mask():
    choice = largest_slice(_blobs(), components="all")
    assert (choice.index, choice.area) == (6, 49)


def test_largest_slice_ties_go_to_lowest_index_and_axis():
    m = np.zeros((4, 6, 6), bool)
    m[1, 1:3, 1:3] = m[2, 2:4, 2:4] = True
    assert largest_slice(m).index == 1
    assert largest_slice(np.moveaxis(m, 0, 2), axis=2).index == 1


def test_axial_axis_from_direction():
    assert axial_axis(np.eye(3).ravel()) == 0
    coronal = [1, 0, 0, 0, 0, 1, 0, -1, 0]  # index axis y runs head-foot
    assert axial_axis(coronal) == 1


def test_bounding_box_and_crop_on_hand_made_mask():
    m = np.zeros((20, 20), bool)
    m[5:8, 4:12] = True  # 3 rows x 8 columns
    assert bounding_box(m, margin=0, square=False) == (5, 4, 8, 12)
    box = bounding_box(m, margin=2)
    assert box == (1, 2, 13, 14)  # rows 3..10 (7) widened to 12: 2 above, 3 below
    img = np.arange(400.0).reshape(20, 20)
    out = crop(img, (-2, -2, 3, 3))  # reaches outside: zero there
    assert out.shape == (5, 5) and out[:2].sum() == 0 and out[2, 2] == img[0, 0]
    np.testing.assert_array_equal(crop(img, box), img[1:13, 2:14])


@pytest.mark.parametrize("shape", [(37, 37), (130, 90), (64, 64), (5, 200)])
def test_resize_against_torchvision_resize(shape):
    """Enlarging, shrinking (antialiased), same size, and both at once."""
    img = np.random.default_rng(5).uniform(0, 255, shape).astype(np.float32)
    ref = torchvision.transforms.functional.resize(
        torch.from_numpy(img)[None], [64, 64], antialias=True
    )
    # float64 weights here, float32 arithmetic in torch: round-off on the 0..255 scale
    np.testing.assert_allclose(resize(img, 64), ref[0].numpy(), rtol=1e-5, atol=2e-3)
