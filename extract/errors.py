"""The one exception of :mod:`extract`: bad input, told in one line."""

from __future__ import annotations


class ExtractError(Exception):
    """Bad input (file, mask, weights, output folder, argument).

    The message is one line naming the patient, phase and file where they are
    known, and what is wrong.  The CLI prints it and exits with code 2; inside a
    cohort run it marks that patient as failed and the others go on.
    """


def where(patient: str | None = None, phase: str | None = None, file=None) -> str:
    """``"patient P001, phase AP, file x.nii.gz: "`` (the parts that are known)."""
    parts = []
    if patient is not None:
        parts.append(f"patient {patient}")
    if phase is not None:
        parts.append(f"phase {phase}")
    if file is not None:
        parts.append(f"file {file}")
    return (", ".join(parts) + ": ") if parts else ""
