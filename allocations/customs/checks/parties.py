"""The check of a case's parties: one importer, the case's own organisation; a supplier;
each party's country and, in Kazakhstan, its BIN."""

from __future__ import annotations

from allocations.accounts.identifiers import is_valid_bin
from allocations.customs.checks.problems import Collector, _
from allocations.customs.checks.values import normalise_serial
from allocations.customs.models import CaseParty, ImportCase, PartyRole

_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"'})


def _same_name(a: str, b: str) -> bool:
    """Names compared without case, extra spaces or the style of quotation marks."""
    return normalise_serial(a).translate(_QUOTES) == normalise_serial(b).translate(_QUOTES)


def check_parties(out: Collector, case: ImportCase, parties: list[CaseParty], known):
    organisation = case.organisation
    importers = [p for p in parties if p.role == PartyRole.IMPORTER]
    if not importers:
        out.add(
            "importer_missing",
            _("Add the importer: %(organisation)s, with its BIN.")
            % {"organisation": organisation.legal_name},
            field="parties",
        )
    elif len(importers) > 1:
        out.add(
            "importer_multiple",
            _("A case has exactly one importer; this one has %(count)s. Remove the others.")
            % {"count": len(importers)},
            field="parties",
        )
    else:
        importer = importers[0]
        if organisation.bin:
            if importer.bin.strip() != organisation.bin:
                out.add(
                    "importer_not_organisation",
                    _(
                        "The importer must be the case's organisation, %(organisation)s "
                        "(BIN %(bin)s); the importer given has BIN “%(given)s”. Correct the "
                        "importer or open the case for the right organisation."
                    )
                    % {
                        "organisation": organisation.legal_name,
                        "bin": organisation.bin,
                        "given": importer.bin or "—",
                    },
                    field="parties",
                )
            elif not _same_name(importer.name, organisation.legal_name):
                out.add(
                    "importer_name_differs",
                    _(
                        "The importer's name “%(name)s” differs from the organisation's "
                        "registered name “%(organisation)s”. Customs compares them: use the "
                        "name as registered."
                    )
                    % {"name": importer.name, "organisation": organisation.legal_name},
                    field="parties",
                )
        elif not _same_name(importer.name, organisation.legal_name):
            out.add(
                "importer_not_organisation",
                _(
                    "The importer must be the case's organisation, %(organisation)s; the "
                    "importer given is “%(name)s”."
                )
                % {"organisation": organisation.legal_name, "name": importer.name},
                field="parties",
            )
    if not any(p.role == PartyRole.SUPPLIER for p in parties):
        out.add(
            "supplier_missing",
            _("Add the supplier (the seller in the supply contract)."),
            field="parties",
        )

    for party in parties:
        who = {"role": party.get_role_display(), "name": party.name}
        country = (party.country or "").strip().upper()
        bin_value = (party.bin or "").strip()
        if country not in known:
            out.add(
                "party_country",
                _("%(role)s %(name)s: choose the country of registration.") % who,
                field="country",
            )
        elif country == "KZ":
            if not bin_value:
                out.add(
                    "party_bin_missing",
                    _("%(role)s %(name)s is registered in Kazakhstan: enter its 12-digit BIN.")
                    % who,
                    field="bin",
                )
            elif not is_valid_bin(bin_value):
                out.add(
                    "party_bin_invalid",
                    _(
                        "%(role)s %(name)s: the BIN %(bin)s fails the check-digit test. "
                        "Check it for a typing error."
                    )
                    % {**who, "bin": bin_value},
                    field="bin",
                )
        elif bin_value:
            out.add(
                "party_foreign_bin",
                _(
                    "%(role)s %(name)s is registered abroad and has no Kazakh BIN: clear the "
                    "BIN and give its own registration number instead."
                )
                % who,
                field="bin",
            )
