"""Where each impurity of the product came from: origin-tagged inventories.

Every kg of an impurity in the electrolyte, the cathode metal and the tapped metal carries the tag
of the pathway that brought it there (``TAGS``). Transfers between pools move tags in
proportion to the giving pool's tag shares (the pools are well mixed), inputs add to their
own tag, and after each step the tags of a pool are rescaled to its inventory so that they
sum to it exactly: the attribution is a mixing rule on the net fluxes, and the inventories
themselves stay the conserved quantities. Arrays are kg, shape (len(TAGS), len(IMPURITIES)).
"""

from __future__ import annotations

import numpy as np

TAGS = ("initial", "exchange", "codissolution", "entrainment", "makeup_salts", "lining",
        "collectors", "salt_inclusions")
"""Origins: the starting cathode metal; the alloy's impurities dissolved at the exchange
equilibrium and deposited from the electrolyte; co-dissolved alloy; entrained alloy; make-up salts;
lining; collectors; salt carried into the metal as inclusions (its dissolved impurities, e.g.
the MgX2 the scrap's Mg made)."""

TAG_LABELS = {"initial": "starting cathode metal", "exchange": "exchange equilibrium",
              "codissolution": "co-dissolution", "entrainment": "alloy entrainment",
              "makeup_salts": "make-up salts", "lining": "lining", "collectors": "collectors",
              "salt_inclusions": "salt inclusions"}


def empty(n: int) -> np.ndarray:
    return np.zeros((len(TAGS), n))


def shares(tags: np.ndarray) -> np.ndarray:
    """Tag shares per element (columns sum to 1; an empty column gives zero shares)."""
    total = tags.sum(axis=0)
    if (total > 0.0).all():  # the common case: the same divisions without the mask
        return tags / total
    return np.divide(tags, total, out=np.zeros_like(tags), where=total > 0.0)


def rescale(tags: np.ndarray, inventory: np.ndarray, default: str) -> np.ndarray:
    """Tags scaled to sum to ``inventory`` per element; an untagged positive inventory goes to
    ``default``; negative round-off inventories give zero tags."""
    out = shares(tags) * np.maximum(inventory, 0.0)
    missing = (tags.sum(axis=0) <= 0.0) & (inventory > 0.0)
    out[TAGS.index(default), missing] = inventory[missing]
    return out


def transfer(giver: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Tagged kg that leave ``giver`` with ``mass`` (kg per element, >= 0)."""
    return shares(giver) * np.maximum(mass, 0.0)


def add(tags: np.ndarray, tag: str, mass: np.ndarray) -> None:
    tags[TAGS.index(tag)] += np.maximum(mass, 0.0)
