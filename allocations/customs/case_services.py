"""The importer's side of an import case: create it, edit its contract, parties, equipment
lines, serial numbers and attachments while it is a draft (or sent back for changes), and
comment on it.

Importers are the owners and members of the case's organisation. Every function locks the
case, checks who acts (404 for outsiders, 403 for the import desk, who may see a submitted
case but never edit it), guards the state, changes it and writes one audit event.
"""

import hashlib
import os
import re
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.accounts.identifiers import is_valid_bin
from allocations.accounts.models import Membership, MembershipRole, Organisation
from allocations.applications import rules
from allocations.billing.numbering import take_number
from allocations.core.audit import record
from allocations.core.permissions import Capability, has_capability
from allocations.customs.checks import is_valid_hs_code, normalise_hs_code, normalise_serial
from allocations.customs.models import (
    AttachmentKind,
    CaseAttachment,
    CaseComment,
    CaseParty,
    CaseState,
    EquipmentLine,
    ImportCase,
    Incoterms,
    PartyRole,
    PreferenceRegime,
    SerialNumber,
)
from allocations.customs.serial_import import ParsedSerials

# Who acts for the organisation in import matters (billing contacts do not).
IMPORTER_ROLES = (MembershipRole.OWNER, MembershipRole.MEMBER)
EDITABLE_STATES = (CaseState.DRAFT, CaseState.CHANGES_REQUESTED)
# Documents arriving after approval (transport document, declaration) may still be added;
# nothing is removed once the desk has reviewed the file.
ATTACHABLE_STATES = (*EDITABLE_STATES, CaseState.APPROVED, CaseState.DECLARED, CaseState.MONITORING)
CASE_REFERENCE_SERIES = "IMPCASE"
# A serial-number import lists at most this many problems (and how many more there are).
MAX_LISTED_PROBLEMS = 100

# Active ISO 4217 currency codes (funds and precious metals left out).
_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER
    ZAR ZMW ZWG
"""
CURRENCIES = frozenset(_ISO_4217.split())


# --- Access ------------------------------------------------------------------------


def is_importer(user, organisation_id: int) -> bool:
    return Membership.objects.filter(
        organisation_id=organisation_id, user=user, role__in=IMPORTER_ROLES
    ).exists()


def desk_may_see(case: ImportCase) -> bool:
    """The desk sees a case once it has been submitted (drafts stay the importer's)."""
    return case.submitted_at is not None


def lock_case(case_id: int) -> ImportCase:
    case = (
        ImportCase.objects.select_for_update(of=("self",))
        .select_related("organisation", "regime")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case


def lock_for_importer(*, actor, case_id: int) -> ImportCase:
    """The case, locked, for an importer of its organisation: 404 for outsiders, 403 for
    the import desk (who may look at a submitted case, not change it)."""
    case = lock_case(case_id)
    if is_importer(actor, case.organisation_id):
        return case
    if has_capability(actor, Capability.MANAGE_IMPORTS) and desk_may_see(case):
        raise PermissionDenied
    raise Http404


def lock_for_participant(*, actor, case_id: int) -> tuple[ImportCase, str]:
    """The case, locked, and the side the actor is on: "importer" or "desk"."""
    case = lock_case(case_id)
    if is_importer(actor, case.organisation_id):
        return case, "importer"
    if has_capability(actor, Capability.MANAGE_IMPORTS) and desk_may_see(case):
        return case, "desk"
    raise Http404


def guard_editable(case: ImportCase) -> None:
    if case.state not in EDITABLE_STATES:
        raise ValidationError(
            _("This case can no longer be changed: it is “%(state)s”.")
            % {"state": case.get_state_display()}
        )


def take_sequence_value(*, series: str, year: int) -> int:
    """The next value of a gapless yearly series (NumberSequence, row-locked; rolls back
    with the caller's transaction)."""
    return int(take_number(series=series, year=year).rsplit("-", 1)[1])


def _new_reference(year: int) -> str:
    while True:  # skips references made elsewhere (fixtures, imports)
        value = take_sequence_value(series=CASE_REFERENCE_SERIES, year=year)
        reference = f"IMP-{year}-{value:05d}"
        if not ImportCase.objects.filter(reference=reference).exists():
            return reference


# --- The case --------------------------------------------------------------------


def _active_regime(regime_id) -> PreferenceRegime:
    regime = PreferenceRegime.objects.filter(pk=regime_id, is_active=True).first()
    if regime is None:
        raise ValidationError({"regime": _("Choose a regime that is open for new cases.")})
    return regime


@transaction.atomic
def create_case(*, actor, organisation_id: int, regime_id: int, title: str, now) -> ImportCase:
    """A draft case of one of the actor's organisations (owner or member), its importer
    party filled in from the organisation."""
    organisation = (
        Organisation.objects.filter(
            pk=organisation_id, memberships__user=actor, memberships__role__in=IMPORTER_ROLES
        )
        .distinct()
        .first()
    )
    if organisation is None:
        raise ValidationError(
            {"organisation": _("Choose an organisation in which you are an owner or member.")}
        )
    regime = _active_regime(regime_id)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the case a title.")})
    case = ImportCase.objects.create(
        organisation=organisation,
        regime=regime,
        reference=_new_reference(now.year),
        title=title,
        created_by=actor,
    )
    CaseParty.objects.create(
        case=case,
        role=PartyRole.IMPORTER,
        name=organisation.legal_name,
        country=organisation.country,
        bin=organisation.bin or "",
        address=organisation.address,
    )
    record(
        actor=actor,
        verb="import_case.created",
        target=case,
        to_state=CaseState.DRAFT,
        data={"organisation_id": organisation.pk, "regime": regime.code},
    )
    return case


CASE_FIELDS = (
    "title",
    "regime_id",
    "contract_number",
    "contract_date",
    "incoterms",
    "currency",
    "planned_import_date",
    "installation_site",
)


def clean_currency(value: str, *, field: str) -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        raise ValidationError(
            {field: _("Give the currency as its ISO 4217 code, e.g. USD, EUR, KZT.")}
        )
    return code


@transaction.atomic
def update_case(*, actor, case_id: int, values: dict) -> ImportCase:
    """Save the case's title, regime, contract, planned import date and site (all or
    nothing). `values` holds any of CASE_FIELDS."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    values = {name: value for name, value in values.items() if name in CASE_FIELDS}
    errors: dict[str, list] = {}
    if "title" in values:
        values["title"] = (values["title"] or "").strip()
        if not values["title"]:
            errors["title"] = [_("Give the case a title.")]
    if "regime_id" in values and values["regime_id"] != case.regime_id:
        try:
            values["regime_id"] = _active_regime(values["regime_id"]).pk
        except ValidationError as error:
            errors.update(error.message_dict)
    if "currency" in values:
        try:
            values["currency"] = clean_currency(values["currency"], field="currency")
        except ValidationError as error:
            errors.update(error.message_dict)
    if values.get("incoterms") and values["incoterms"] not in Incoterms.values:
        errors["incoterms"] = [_("Choose one of the Incoterms 2020 rules.")]
    for name in ("contract_number", "installation_site"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if errors:
        raise ValidationError(errors)
    changed = [name for name, value in values.items() if getattr(case, name) != value]
    if not changed:
        return case
    for name in changed:
        setattr(case, name, values[name])
    case.save(update_fields=changed)
    record(
        actor=actor,
        verb="import_case.updated",
        target=case,
        data={"changed": [name.removesuffix("_id") for name in changed]},
    )
    return case


# --- Parties -----------------------------------------------------------------------


def _clean_party(values: dict, *, role: str) -> dict:
    errors: dict[str, list] = {}
    name = (values.get("name") or "").strip()
    country = (values.get("country") or "").strip().upper()
    bin_ = re.sub(r"\s+", "", values.get("bin") or "")
    registration = (values.get("registration_number") or "").strip()
    address = (values.get("address") or "").strip()
    if role not in PartyRole.values:
        errors["role"] = [_("Choose the party's role.")]
    if not name:
        errors["name"] = [_("Give the party's name.")]
    if country not in countries:
        errors["country"] = [_("Choose the country.")]
    elif country == "KZ":
        if not bin_:
            errors["bin"] = [_("A Kazakh party needs its BIN (12 digits).")]
        elif not is_valid_bin(bin_):
            errors["bin"] = [
                _("This BIN fails the check-digit test. Please check it for a typing error.")
            ]
    else:
        if bin_:
            errors["bin"] = [_("Only Kazakh parties have a BIN; give the registration number.")]
        if not registration:
            errors["registration_number"] = [
                _("Give the foreign party's registration number (company number, VAT no.).")
            ]
        if not address:
            errors["address"] = [_("Give the foreign party's address.")]
    if errors:
        raise ValidationError(errors)
    return {
        "role": role,
        "name": name,
        "country": country,
        "bin": bin_ if country == "KZ" else "",
        "registration_number": registration,
        "address": address,
    }


def _party(case: ImportCase, party_id: int) -> CaseParty:
    party = CaseParty.objects.filter(case=case, pk=party_id).first()
    if party is None:
        raise Http404
    return party


@transaction.atomic
def add_party(*, actor, case_id: int, values: dict) -> CaseParty:
    """Add a supplier, manufacturer, consignee or customs representative."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    role = values.get("role")
    if role == PartyRole.IMPORTER:
        raise ValidationError({"role": _("The importer is the case's organisation.")})
    party = CaseParty.objects.create(case=case, **_clean_party(values, role=role))
    record(
        actor=actor,
        verb="import_case.party_added",
        target=case,
        data={"party_id": party.pk, "role": party.role, "name": party.name},
    )
    return party


@transaction.atomic
def update_party(*, actor, case_id: int, party_id: int, values: dict) -> CaseParty:
    """Change a party; its role stays (the importer stays the importer)."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    party = _party(case, party_id)
    cleaned = _clean_party(values, role=party.role)
    changed = [name for name, value in cleaned.items() if getattr(party, name) != value]
    if not changed:
        return party
    for name in changed:
        setattr(party, name, cleaned[name])
    party.save(update_fields=changed)
    record(
        actor=actor,
        verb="import_case.party_changed",
        target=case,
        data={"party_id": party.pk, "role": party.role, "changed": changed},
    )
    return party


@transaction.atomic
def remove_party(*, actor, case_id: int, party_id: int) -> None:
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    party = _party(case, party_id)
    if party.role == PartyRole.IMPORTER:
        raise ValidationError(_("The importer cannot be removed; correct its details instead."))
    data = {"party_id": party.pk, "role": party.role, "name": party.name}
    party.delete()
    record(actor=actor, verb="import_case.party_removed", target=case, data=data)


# --- Equipment lines -----------------------------------------------------------------

LINE_FIELDS = (
    "description",
    "manufacturer",
    "model",
    "hs_code",
    "quantity",
    "unit",
    "unit_price",
    "currency",
    "origin_country",
    "is_datacentre_gpu",
    "export_licence_number",
)


def normalised_hs_code(raw: str) -> str:
    """The 10-digit HS code, or a ValidationError for the hs_code field."""
    code = normalise_hs_code(raw or "")
    if not is_valid_hs_code(code):
        raise ValidationError(
            {"hs_code": _("An HS code of the EAEU nomenclature has 10 digits, e.g. 8471 50 000 0.")}
        )
    return code


def _clean_line(values: dict) -> dict:
    errors: dict[str, list] = {}
    cleaned = {name: values.get(name) for name in LINE_FIELDS}
    for name in ("description", "manufacturer", "model", "unit", "export_licence_number"):
        cleaned[name] = (cleaned[name] or "").strip()
    for name, message in (
        ("description", _("Describe the equipment.")),
        ("manufacturer", _("Give the manufacturer.")),
        ("model", _("Give the model.")),
    ):
        if not cleaned[name]:
            errors[name] = [message]
    cleaned["unit"] = cleaned["unit"] or "pcs"
    try:
        cleaned["hs_code"] = normalised_hs_code(cleaned["hs_code"])
    except ValidationError as error:
        errors.update(error.message_dict)
    quantity, price = cleaned["quantity"], cleaned["unit_price"]
    if not isinstance(quantity, Decimal | int) or quantity <= 0:
        errors["quantity"] = [_("The quantity must be more than 0.")]
    if not isinstance(price, Decimal | int) or price < 0:
        errors["unit_price"] = [_("The unit price cannot be negative.")]
    try:
        cleaned["currency"] = clean_currency(cleaned["currency"], field="currency")
    except ValidationError as error:
        errors.update(error.message_dict)
    cleaned["origin_country"] = (cleaned["origin_country"] or "").strip().upper()
    if cleaned["origin_country"] not in countries:
        errors["origin_country"] = [_("Choose the country of origin.")]
    cleaned["is_datacentre_gpu"] = bool(cleaned["is_datacentre_gpu"])
    if errors:
        raise ValidationError(errors)
    return cleaned


def _line(case: ImportCase, line_id: int) -> EquipmentLine:
    line = EquipmentLine.objects.filter(case=case, pk=line_id).first()
    if line is None:
        raise Http404
    return line


@transaction.atomic
def add_line(*, actor, case_id: int, values: dict) -> EquipmentLine:
    """Add an equipment line at the end of the case's list."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    cleaned = _clean_line(values)
    last = EquipmentLine.objects.filter(case=case).aggregate(last=Max("position"))["last"]
    line = EquipmentLine.objects.create(case=case, position=(last or 0) + 1, **cleaned)
    record(
        actor=actor,
        verb="import_case.line_added",
        target=case,
        data={"line_id": line.pk, "position": line.position, "hs_code": line.hs_code},
    )
    return line


@transaction.atomic
def update_line(*, actor, case_id: int, line_id: int, values: dict) -> EquipmentLine:
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    line = _line(case, line_id)
    cleaned = _clean_line(values)
    changed = [name for name, value in cleaned.items() if getattr(line, name) != value]
    if not changed:
        return line
    for name in changed:
        setattr(line, name, cleaned[name])
    line.save(update_fields=changed)
    record(
        actor=actor,
        verb="import_case.line_changed",
        target=case,
        data={"line_id": line.pk, "position": line.position, "changed": changed},
    )
    return line


@transaction.atomic
def remove_line(*, actor, case_id: int, line_id: int) -> None:
    """Remove a line and its serial numbers; the lines after it move up one place."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    line = _line(case, line_id)
    data = {
        "line_id": line.pk,
        "position": line.position,
        "model": line.model,
        "serials": line.serials.count(),
    }
    position = line.position
    line.delete()
    # Ascending, so that each line moves into the place just freed (positions are unique).
    for later in EquipmentLine.objects.filter(case=case, position__gt=position).order_by(
        "position"
    ):
        later.position -= 1
        later.save(update_fields=["position"])
    record(actor=actor, verb="import_case.line_removed", target=case, data=data)


# --- Serial numbers ------------------------------------------------------------------


SERIAL_MAX_LENGTH = SerialNumber._meta.get_field("serial").max_length


def _normalised_serial(raw: str) -> str | None:
    """The serial as stored (trimmed, upper-case), or None when it cannot be one."""
    serial = normalise_serial(raw)
    if not serial or len(serial) > SERIAL_MAX_LENGTH or not serial.isprintable():
        return None
    return serial


def _serial_problems(case, parsed: ParsedSerials, default_line) -> tuple[list, list]:
    """What is wrong with the rows (messages naming rows), and the (line, serial) pairs."""
    lines = {line.position: line for line in EquipmentLine.objects.filter(case=case)}
    taken_here = {
        serial.serial: serial.line.position
        for serial in SerialNumber.objects.filter(line__case=case).select_related("line")
    }
    problems: list[str] = []
    wanted: list[tuple[EquipmentLine, str, int]] = []
    first_row: dict[str, int] = {}
    for row in parsed.rows:
        line = default_line
        if row.line:
            position = row.line.strip().rstrip(".")
            line = lines.get(int(position)) if position.isdigit() else None
            if line is None:
                problems.append(
                    _("Row %(row)s: the case has no line no. %(line)s.")
                    % {"row": row.row, "line": row.line}
                )
                continue
        elif line is None:
            problems.append(
                _("Row %(row)s: the line no. is missing; fill it in or choose a line above.")
                % {"row": row.row}
            )
            continue
        if not row.serial:
            problems.append(_("Row %(row)s: the serial number is empty.") % {"row": row.row})
            continue
        serial = _normalised_serial(row.serial)
        if serial is None:
            problems.append(
                _("Row %(row)s: “%(serial)s” is not a valid serial number.")
                % {"row": row.row, "serial": row.serial[:120]}
            )
            continue
        if serial in first_row:
            problems.append(
                _("Row %(row)s repeats the serial number %(serial)s of row %(first)s.")
                % {"row": row.row, "serial": serial, "first": first_row[serial]}
            )
            continue
        first_row[serial] = row.row
        if serial in taken_here:
            problems.append(
                _("Row %(row)s: %(serial)s is already on line %(line)s of this case.")
                % {"row": row.row, "serial": serial, "line": taken_here[serial]}
            )
            continue
        wanted.append((line, serial, row.row))
    clashes = (
        SerialNumber.objects.filter(serial__in=[serial for _l, serial, _r in wanted], active=True)
        .exclude(line__case=case)
        .values_list("serial", "line__case__reference")
    )
    elsewhere = dict(clashes)
    for _line, serial, row in wanted:
        if serial in elsewhere:
            problems.append(
                _(
                    "Row %(row)s: %(serial)s is already in case %(case)s; a serial number "
                    "may stand in only one active case."
                )
                % {"row": row, "serial": serial, "case": elsewhere[serial]}
            )
    return problems, [(line, serial) for line, serial, _r in wanted]


@transaction.atomic
def import_serials(
    *,
    actor,
    case_id: int,
    parsed: ParsedSerials,
    line_id: int | None = None,
    source: str = "paste",
) -> list[SerialNumber]:
    """Add many serial numbers at once, or none: every bad row, repeat within the source,
    serial already on the case or taken by another active case is reported by row number.

    Rows go to the line named in their line column, else to `line_id`.
    """
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    default_line = _line(case, line_id) if line_id else None
    if default_line is None and not parsed.has_line_column:
        raise ValidationError({"line": _("Choose the equipment line these serials belong to.")})
    if not parsed.rows:
        raise ValidationError(_("No serial numbers were found."))
    problems, wanted = _serial_problems(case, parsed, default_line)
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > MAX_LISTED_PROBLEMS:
            listed.append(
                _("… and %(count)s more problems.") % {"count": len(problems) - MAX_LISTED_PROBLEMS}
            )
        raise ValidationError(listed)
    try:
        with transaction.atomic():
            created = SerialNumber.objects.bulk_create(
                [SerialNumber(line=line, serial=serial, active=True) for line, serial in wanted]
            )
    except IntegrityError as clash:  # serial_unique_in_active_cases: another case just now
        raise ValidationError(
            _("Another case took one of these serial numbers a moment ago. Try again to see which.")
        ) from clash
    per_line: dict[int, int] = {}
    for line, _serial in wanted:
        per_line[line.position] = per_line.get(line.position, 0) + 1
    record(
        actor=actor,
        verb="import_case.serials_added",
        target=case,
        data={
            "count": len(created),
            "per_line": {str(k): v for k, v in sorted(per_line.items())},
            "source": source[:255],
        },
    )
    return created


@transaction.atomic
def remove_serial(*, actor, case_id: int, serial_id: int) -> None:
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    serial = SerialNumber.objects.filter(pk=serial_id, line__case=case).select_related("line")
    serial = serial.first()
    if serial is None:
        raise Http404
    data = {"serial": serial.serial, "position": serial.line.position}
    serial.delete()
    record(actor=actor, verb="import_case.serial_removed", target=case, data=data)


@transaction.atomic
def clear_line_serials(*, actor, case_id: int, line_id: int) -> int:
    """Remove every serial number of one line (to import a corrected list)."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    line = _line(case, line_id)
    count, _detail = SerialNumber.objects.filter(line=line).delete()
    if count:
        record(
            actor=actor,
            verb="import_case.serials_cleared",
            target=case,
            data={"position": line.position, "count": count},
        )
    return count


# --- Attachments ---------------------------------------------------------------------


@transaction.atomic
def add_attachment(*, actor, case_id: int, kind: str, upload) -> CaseAttachment:
    """Attach a PDF (stored privately under a random name)."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    if case.state not in ATTACHABLE_STATES:
        raise ValidationError(
            _("No more files can be attached: the case is “%(state)s”.")
            % {"state": case.get_state_display()}
        )
    if kind not in AttachmentKind.values:
        raise ValidationError({"kind": _("Choose what kind of document this is.")})
    problems = rules.pdf_upload_errors(upload)
    if problems:
        raise ValidationError({"file": problems})
    original_name = os.path.basename(upload.name)[:255]
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = CaseAttachment(
        case=case,
        kind=kind,
        original_name=original_name,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(f"{uuid.uuid4().hex}.pdf", upload, save=False)
    stored_name, storage = attachment.file.name, attachment.file.storage
    try:
        attachment.save()
        record(
            actor=actor,
            verb="import_case.attachment_added",
            target=case,
            data={"attachment_id": attachment.pk, "kind": kind, "name": original_name},
        )
    except Exception:
        storage.delete(stored_name)
        raise
    return attachment


@transaction.atomic
def remove_attachment(*, actor, case_id: int, attachment_id: int) -> None:
    case = lock_for_importer(actor=actor, case_id=case_id)
    guard_editable(case)
    attachment = CaseAttachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    stored_name, storage = attachment.file.name, attachment.file.storage
    data = {
        "attachment_id": attachment.pk,
        "kind": attachment.kind,
        "name": attachment.original_name,
    }
    attachment.delete()
    record(actor=actor, verb="import_case.attachment_removed", target=case, data=data)
    transaction.on_commit(lambda: storage.delete(stored_name))


# --- Comments --------------------------------------------------------------------------


@transaction.atomic
def add_comment(*, actor, case_id: int, body: str) -> CaseComment:
    """A note from the desk or an answer from the importer (not on a closed case)."""
    case, side = lock_for_participant(actor=actor, case_id=case_id)
    if case.state == CaseState.CLOSED:
        raise ValidationError(_("This case is closed; nothing more can be added to it."))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the comment.")})
    comment = CaseComment.objects.create(case=case, author=actor, body=body)
    record(
        actor=actor,
        verb="import_case.commented",
        target=case,
        data={"comment_id": comment.pk, "side": side},
    )
    return comment


@transaction.atomic
def delete_draft(*, actor, case_id: int) -> str:
    """Importers delete a case that was never submitted (its serials, lines, parties and
    files go with it), so an abandoned draft never holds serial numbers. Returns the
    reference, which is not reused."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    if case.state != CaseState.DRAFT or case.submitted_at is not None:
        raise ValidationError(
            _("Only a draft that was never submitted can be deleted; this one is “%(state)s”.")
            % {"state": case.get_state_display()}
        )
    reference = case.reference
    files = [a.file for a in case.attachments.all()]
    record(
        actor=actor,
        verb="import_case.deleted",
        target=case.organisation,
        data={"reference": reference, "title": case.title},
    )
    case.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files], robust=True)
    return reference
