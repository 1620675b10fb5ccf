"""Quorum and majority of a partner vote (DESIGN.md, "Rules")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass


def N_(text: str) -> str:
    """As workflow.lifecycle.N_: marks a label for the catalogue; pages and forms translate it."""
    return text


APPROVE, REJECT, ABSTAIN = "approve", "reject", "abstain"
CHOICES = (APPROVE, REJECT, ABSTAIN)
CHOICE_LABELS = {APPROVE: N_("Zustimmung"), REJECT: N_("Ablehnung"), ABSTAIN: N_("Enthaltung")}

CIRCULATION, SESSION = "circulation", "session"
MODES = (CIRCULATION, SESSION)
MODE_LABELS = {CIRCULATION: N_("Umlaufverfahren"), SESSION: N_("Sitzung des Gremiums")}

# The five rating criteria, 1 (weak) to 5 (strong).
CRITERIA = {
    "rating_skilled_labour": N_("Beitrag zur Fachkräftesicherung in der Region"),
    "rating_strategy_fit": N_("Passung zur Strategie und ihren Handlungsfeldern"),
    "rating_regional_relevance": N_("Regionale Relevanz"),
    "rating_feasibility": N_("Umsetzbarkeit und Angemessenheit der Kosten"),
    "rating_sustainability": N_("Nachhaltigkeit und Transfer"),
}
RATING_MIN, RATING_MAX = 1, 5


@dataclass(frozen=True)
class Tally:
    approve: int
    reject: int
    abstain: int
    eligible: int
    quorum_percent: int = 50

    @property
    def cast(self) -> int:
        return self.approve + self.reject + self.abstain

    @property
    def quorum(self) -> int:
        """At least `quorum_percent` of the eligible partners (rounded up) must have voted."""
        return -(-self.eligible * self.quorum_percent // 100)

    @property
    def quorum_reached(self) -> bool:
        return self.eligible > 0 and self.cast >= self.quorum

    @property
    def everyone_voted(self) -> bool:
        return self.eligible > 0 and self.cast >= self.eligible

    @property
    def approved(self) -> bool:
        """Quorum, and more approvals than rejections; a tie is not an approval."""
        return self.quorum_reached and self.approve > self.reject

    def as_dict(self) -> dict:
        return asdict(self) | {
            "cast": self.cast,
            "quorum": self.quorum,
            "quorum_reached": self.quorum_reached,
            "approved": self.approved,
        }


def tally(choices: Iterable[str], eligible: int, quorum_percent: int = 50) -> Tally:
    counted = list(choices)
    return Tally(
        approve=counted.count(APPROVE),
        reject=counted.count(REJECT),
        abstain=counted.count(ABSTAIN),
        eligible=eligible,
        quorum_percent=quorum_percent,
    )


def rating_averages(ballots: Iterable) -> dict[str, tuple[float | None, int]]:
    """Per criterion: the average rating (two decimals) over the ballots that rated it (anything
    with the CRITERIA as attributes), and how many did."""
    ballots = list(ballots)
    averages = {}
    for name in CRITERIA:
        values = [getattr(b, name) for b in ballots if getattr(b, name) is not None]
        averages[name] = (round(sum(values) / len(values), 2) if values else None, len(values))
    return averages


def german_average(value: float | None) -> str:
    """4.33 → '4,3'; no rating → '—'."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",")
