"""Files the commands read and write: checked before any minutes of training."""

from pathlib import Path

from ..persistence import save
from ._errors import CLIError

__all__ = [
    "DEFAULT_MODEL",
    "check_file",
    "prepare_folder",
    "prepare_model_path",
    "save_model",
]

#: Where ``train`` saves, and the name of the model in ``compare``'s report.
DEFAULT_MODEL = "model.safetensors"


def prepare_folder(path):
    """Create the output folder now, so a bad path fails before any training."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"--output {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(
            f"cannot create the folder {folder} for --output: {exc}"
        ) from None
    return folder


def prepare_model_path(path):
    """Check where the model will be saved before training for minutes."""
    path = Path(path)
    if path.is_dir():
        raise CLIError(
            f"--output {path} is a folder; give a file name such as "
            f"{path / DEFAULT_MODEL}"
        )
    if path.parent.exists() and not path.parent.is_dir():
        raise CLIError(
            f"cannot save the model to {path}: {path.parent} is a file, not a folder"
        )
    prepare_folder(path.parent)
    return path


def save_model(estimator, path, dataset):
    """Save a fitted model as a safetensors file, the format ``predict`` loads.

    The file records the :class:`~._data.Dataset` the model was trained on
    and its class names, which ``predict`` shows.
    """
    try:
        save(estimator, path, metadata=dataset.metadata())
    except OSError as exc:
        raise CLIError(f"cannot save the model to {path}: {exc}") from None


def check_file(path, what):
    """A CLIError unless ``path`` is a non-empty regular file; ``what`` names it."""
    if path.is_dir():
        raise CLIError(f"{what} {path} is a folder, not a file")
    if not path.exists():
        raise CLIError(f"{what} {path} not found")
    if not path.is_file():
        raise CLIError(f"{what} {path} is not a regular file")
    if path.stat().st_size == 0:
        raise CLIError(f"{what} {path} is empty (0 bytes)")
