"""VGG19 from torchvision, its weights from a local file, and the 1472 features.

The features of one image are the global averages of the last ReLU activation
of each of VGG19's five convolutional blocks (the activation entering each
max-pool): 64 + 128 + 256 + 512 + 512 = 1472 values, named
``vgg19_b{block}_c{channel}`` (block 1..5, channel from 0).

Weights come only from a file: the one torchvision publishes
(``vgg19-dcbb9e9d.pth``), named by the user or found where torchvision caches
it (``$TORCH_HOME/hub/checkpoints``); nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .errors import ExtractError

__all__ = [
    "feature_names",
    "find_weights",
    "load_weights",
    "weights_file",
    "build_model",
    "VGG19Features",
    "to_model_input",
    "FeatureExtractor",
    "WEIGHTS_FILE",
    "BLOCK_CHANNELS",
    "BLOCK_TAPS",
]

WEIGHTS_FILE = "vgg19-dcbb9e9d.pth"  # torchvision's VGG19_Weights.IMAGENET1K_V1 file name
BLOCK_CHANNELS = (64, 128, 256, 512, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
_TRACING = threading.Lock()


def feature_names() -> list[str]:
    """The 1472 column names, block by block: ``vgg19_b1_c0`` … ``vgg19_b5_c511``."""
    return [f"vgg19_b{b}_c{c}" for b, n in enumerate(BLOCK_CHANNELS, 1) for c in range(n)]


def find_weights() -> Path | None:
    """torchvision's cached VGG19 file (``<torch hub dir>/checkpoints/vgg19-dcbb9e9d.pth``), if present.

    The hub dir is ``$TORCH_HOME/hub`` (default ``~/.cache/torch/hub``), as
    ``torch.hub.get_dir()`` says.
    """
    path = Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE
    return path if path.is_file() else None


def sha256(path) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_weights(path) -> dict[str, torch.Tensor]:
    """Load and check a VGG19 state dict (``torch.load(..., weights_only=True)``).

    The ``features.*`` tensors must all be there with VGG19's shapes;
    ``classifier.*`` ones may be absent (they are not used) but if present must
    fit too; any other key is refused.

    Raises
    ------
    ExtractError
        Naming the file and the missing, unexpected or misshapen keys.
    """
    path = Path(path)
    if not path.is_file():
        raise ExtractError(f"weights file {path}: not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling/zip error means "not a weights file"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExtractError(
            f"weights file {path}: not a PyTorch state dict loadable with "
            f"weights_only=True ({reason[:200]})"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ExtractError(
            f"weights file {path}: holds a {type(state).__name__}, not a state dict "
            "of tensors (torchvision's vgg19-dcbb9e9d.pth is one)"
        )
    expected = {k: tuple(v.shape) for k, v in _vgg19().state_dict().items()}
    missing = [k for k in expected if k.startswith("features.") and k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} (VGG19: {expected[k]})"
        for k in state
        if k in expected and tuple(state[k].shape) != expected[k]
    ]
    problems = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("shape of", shapes)):
        if items:
            problems.append(f"{label} {', '.join(items[:3])}{' ...' if len(items) > 3 else ''}")
    if problems:
        raise ExtractError(
            f"weights file {path}: not torchvision's VGG19 weights: {'; '.join(problems)}"
        )
    return state


def _vgg19() -> nn.Module:
    """torchvision's VGG19, built on the meta device (no memory, no initialisation)."""
    import torchvision

    with torch.device("meta"):
        return torchvision.models.vgg19(weights=None)


def _features(state: dict | None = None, seed: int = 0) -> nn.Sequential:
    """VGG19's ``features`` on the CPU: loaded from ``state``, else randomly initialised.

    The random initialisation is torchvision's (Kaiming normal, fan-out, zero
    bias), drawn in the same order, so under ``torch.manual_seed(seed)`` it gives
    the same tensors as ``torchvision.models.vgg19(weights=None)``'s features,
    without drawing the classifier's 120 million weights.
    """
    features = _vgg19().features.to_empty(device="cpu")
    if state is not None:
        features.load_state_dict(
            {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
        )
        return features
    # a generator of its own (seeded as torch.manual_seed(seed) seeds the global one: the
    # same draws): runs in several threads of one process (a Dask worker) cannot interleave
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in features.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(
                    m.weight, mode="fan_out", nonlinearity="relu", generator=generator
                )
                nn.init.constant_(m.bias, 0)
    return features


# torchvision's names of the ReLU that closes each convolutional block (the one
# entering the block's max-pool) in ``vgg19().features``
BLOCK_TAPS = {
    "features.3": "block1",
    "features.8": "block2",
    "features.17": "block3",
    "features.26": "block4",
    "features.35": "block5",
}


class _Trunk(nn.Module):
    """VGG19's ``features`` under the attribute name torchvision gives it."""

    def __init__(self, features: nn.Sequential):
        super().__init__()
        self.features = features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class VGG19Features(nn.Module):
    """VGG19's convolutional part up to the last ReLU, returning the 1472 averages.

    ``forward(x)`` with ``x`` of shape (N, 3, H, W) returns (N, 1472) float32: for
    each block the spatial mean of its last ReLU output, blocks concatenated.  The
    five activations are tapped by name (:data:`BLOCK_TAPS`) with torchvision's
    ``create_feature_extractor``, which keeps only the layers they need.
    """

    def __init__(self, features: nn.Sequential):
        from torchvision.models.feature_extraction import create_feature_extractor

        super().__init__()
        self.features = features
        with _TRACING:  # torch.fx tracing is not thread-safe (runs in threads of a Dask worker)
            self.taps = create_feature_extractor(_Trunk(features), return_nodes=dict(BLOCK_TAPS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        blocks = self.taps(x)
        return torch.cat([blocks[b].float().mean(dim=(2, 3)) for b in BLOCK_TAPS.values()], dim=1)


def build_model(
    weights=None, *, random_weights: bool = False, seed: int = 0
) -> tuple[VGG19Features, str]:
    """The feature model and the weights' identity (SHA-256 of the file, or ``"random"``).

    ``weights``: a file path; ``None`` looks for torchvision's cached file
    (:func:`find_weights`).  ``random_weights=True`` uses torchvision's random
    initialisation under ``torch.manual_seed(seed)`` (tests, demo): the same
    weights as ``torch.manual_seed(seed); torchvision.models.vgg19(weights=None)``;
    the global random state is left as it was.

    Raises
    ------
    ExtractError
        No weights file given or found (and no ``random_weights``), or a file that
        is not VGG19's.
    """
    path = weights_file(weights, random_weights=random_weights)
    if path is None:
        return VGG19Features(_features(seed=seed)).eval(), "random"
    return VGG19Features(_features(load_weights(path))).eval(), sha256(path)


def weights_file(weights=None, *, random_weights: bool = False) -> Path | None:
    """The weights file a run loads: ``weights``, else torchvision's cached file
    (:func:`find_weights`); None with ``random_weights``.

    Raises
    ------
    ExtractError
        Both a file and random weights, or no file given or found.
    """
    if random_weights:
        if weights is not None:
            raise ExtractError("give either a weights file or random weights, not both")
        return None
    path = Path(weights) if weights is not None else find_weights()
    if path is None:
        raise ExtractError(
            f"no VGG19 weights: give --weights PATH (torchvision's {WEIGHTS_FILE}), or put that "
            f"file in {Path(torch.hub.get_dir()) / 'checkpoints'}; nothing is downloaded. "
            "For tests and the demo, --random-weights uses seeded random weights"
        )
    return path


def to_model_input(crops) -> torch.Tensor:
    """(N, S, S) grey values 0..255 → (N, 3, S, S) float32, ImageNet-normalised.

    Grey replicated to three channels, divided by 255, then ``(x - mean) / std``
    with ImageNet's mean and std (as torchvision's VGG19 weights expect).  A
    tensor input stays on its device (normalising on the GPU).
    """
    x = (
        torch.as_tensor(np.asarray(crops, np.float32))
        if not isinstance(crops, torch.Tensor)
        else crops.float()
    )
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return (x[:, None] / 255.0 - mean) / std


class FeatureExtractor:
    """Runs :class:`VGG19Features` on batches of crops.

    Parameters
    ----------
    model : VGG19Features
    device : str
        ``"cpu"`` or ``"cuda"`` (``"cuda:1"`` …).
    dtype : {"fp32", "bf16", "fp16"}
        ``bf16``/``fp16`` run under ``torch.autocast``; ``fp32`` on CUDA turns
        TF32 off so that fp32 means fp32.
    channels_last : bool
        Memory format of model and input (default; ~1.4x faster on this CPU too).
    """

    def __init__(
        self,
        model: VGG19Features,
        *,
        device: str = "cpu",
        dtype: str = "fp32",
        channels_last: bool = True,
    ):
        if dtype not in DTYPES:
            raise ExtractError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
        try:
            self.device = torch.device(device)
        except (RuntimeError, TypeError):
            raise ExtractError(f"--device must be cpu, cuda or cuda:N, not {device!r}") from None
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ExtractError("--device cuda: no CUDA device is available to torch")
        self.dtype, self.channels_last = dtype, channels_last
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.model = model.to(self.device, memory_format=fmt).eval()

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """(N, S, S) crops in 0..255 → (N, 1472) float32 features."""
        grey = torch.as_tensor(np.asarray(crops, np.float32)).to(self.device, non_blocking=True)
        x = to_model_input(grey)  # 3 channels made on the device
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        cast = DTYPES[self.dtype]
        with (
            torch.inference_mode(),
            torch.backends.cudnn.flags(
                enabled=True, benchmark=True, deterministic=False, allow_tf32=cast is not None
            ),
        ):
            if cast is None:
                out = self.model(x)
            else:
                with torch.autocast(self.device.type, dtype=cast):
                    out = self.model(x)
        return out.float().cpu().numpy()
