"""The electronic invoice (ESF) of an issued invoice, as InvoiceV2 XML, and a checker.

Where the naming comes from
---------------------------
The element names and their order follow the state revenue committee's InvoiceV2 format
(IS ESF, esf.gov.kz) as far as public material shows it: the sample "One InvoiceV2.xml"
of the IS ESF SDK (container `esf:invoiceContainer` in namespace "esf", `invoiceSet`,
`v2:invoice` in namespace "v2.esf" with the abstract invoice namespace "abstractInvoice.esf";
`date`, `invoiceType`, `num`, `operatorFullname`, `turnoverDate`, `customers/customer`,
`productSet` with `currencyCode`, `products/product` and the `total*` elements,
`sellers/seller`) and open-source mappers to InvoiceV2.xsd that list the sequences of
Seller (`address`, `bank`, `bik`, `iik`, `kbe`, `name`, `tin`), Customer (`address`,
`countryCode`, `name`, `statuses`, `tin`), DeliveryTerm (`contractDate`, `contractNum`,
`hasContract`) and Product (`catalogTruId`, `description`, `ndsAmount`, `ndsRate`,
`priceWithTax`, `priceWithoutTax`, `quantity`, `truOriginCode`, `turnoverSize`,
`unitNomenclature`, `unitPrice`). We had no copy of the XSD itself: the file is meant for a
person who signs and uploads it in IS ESF (signing and upload happen outside the portal),
and it has not been validated against the official schema.

Sections (as in the paper form): A = date, number, turnover date; B = seller; C =
customer; E = contract (`deliveryTerm`); G = lines (`productSet`) and totals.

Assumed, to check with the accountant
-------------------------------------
- Dates are dd.mm.yyyy, amounts have 2 decimals, quantities and unit prices up to 6.
- The unit of measure is OKEI 356 ("hour") in `unitNomenclature` (the sample's 796 is
  "piece"); `unitCode` is the goods (TN VED) code and is left out for services.
- `truOriginCode` 6 (works and services) and `catalogTruId` 1 (as in the SDK sample).
- `ndsRate` is the whole percentage (16); a line without VAT (rate 0) has no `ndsRate`.
- E: the portal has no contract register. The basis of a compute invoice is the
  allocation granted on an application, so `contractNum` lists the application
  references (APP-000123) and `contractDate` is the date of the earliest decision;
  `hasContract` is true. Replace with the real contract once one is recorded.
- B: the seller's name and address are the Russian ones of the seller copy; the VAT
  registration (`certificateSeries`/`certificateNum`) is left out (free text in the
  portal). C: a non-resident customer has no `tin` and the status NONRESIDENT.
- `operatorFullname` is the finance user who issued the invoice.
"""

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from allocations.accounts.identifiers import is_valid_bin
from allocations.billing.documents import parties, period_text
from allocations.billing.models import Invoice, InvoiceState

ESF_NS = "esf"
V2_NS = "v2.esf"
ABSTRACT_NS = "abstractInvoice.esf"
HOUR_OKEI = "356"
SERVICES_ORIGIN = "6"
CATALOG_TRU_ID = "1"
INVOICE_TYPES = ("ORDINARY_INVOICE", "FIXED_INVOICE", "ADDITIONAL_INVOICE")
ESF_STATES = (InvoiceState.ISSUED, InvoiceState.PAID)
CENT = Decimal("0.01")


def _dmy(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _amount(value, places: int = 2) -> str:
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def _up_to(value, places: int) -> str:
    """At most `places` decimals, trailing zeros kept to 2 (1.5 → "1.50", 0.333333)."""
    text = _amount(value, places)
    whole, _sep, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


def _rate_percent(rate: Decimal) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}"


def _add(parent: ET.Element, tag: str, text=None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _optional(parent: ET.Element, tag: str, text) -> None:
    if text not in (None, ""):
        _add(parent, tag, text)


def _contract(invoice: Invoice, lines) -> tuple[str, date | None]:
    """Application references and the earliest decision date of the invoiced allocations."""
    from allocations.applications.models import Application
    from allocations.awards.models import Decision

    application_ids = sorted(
        {line.allocation.application_id for line in lines if line.allocation is not None}
    )
    references = ", ".join(Application(pk=pk).reference for pk in application_ids)
    decided = (
        Decision.objects.filter(application_id__in=application_ids)
        .order_by("decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return references, decided.date() if decided else None


def esf_xml(invoice: Invoice) -> bytes:
    """The InvoiceV2 XML of an issued (or paid) invoice; ValidationError otherwise."""
    if invoice.state not in ESF_STATES or not invoice.number:
        raise ValidationError(_("Only an issued invoice has an electronic invoice (ESF)."))
    seller, customer = parties(invoice)
    lines = list(invoice.lines.select_related("allocation").order_by("position"))

    ET.register_namespace("esf", ESF_NS)
    ET.register_namespace("v2", V2_NS)
    ET.register_namespace("a", ABSTRACT_NS)
    container = ET.Element(f"{{{ESF_NS}}}invoiceContainer")
    invoice_set = _add(container, "invoiceSet")
    root = _add(invoice_set, f"{{{V2_NS}}}invoice")
    # The abstract namespace is declared on the invoice, as in the SDK sample.
    root.set("xmlns:a", ABSTRACT_NS)

    # A: date, type, number, operator, turnover date.
    _add(root, "date", _dmy(invoice.issue_date))
    _add(root, "invoiceType", "ORDINARY_INVOICE")
    _add(root, "num", invoice.number)
    operator = invoice.issued_by
    _add(root, "operatorFullname", (operator.full_name or operator.email) if operator else "")
    _add(root, "turnoverDate", _dmy(invoice.turnover_date))
    # Additional information, in Russian like the seller's name (IS ESF is read in Russian).
    with translation.override("ru"):
        note = _("GPU computing services for %(period)s") % {
            "period": period_text(invoice.period_start, invoice.period_end)
        }
    _add(root, "addInf", note)

    # C: customer.
    customers = _add(root, "customers")
    node = _add(customers, "customer")
    _optional(node, "address", customer.get("address"))
    _add(node, "countryCode", customer.get("country") or "KZ")
    _add(node, "name", customer.get("legal_name", ""))
    if (customer.get("country") or "KZ") != "KZ":
        statuses = _add(node, "statuses")
        _add(statuses, "status", "NONRESIDENT")
    _optional(node, "tin", customer.get("bin"))

    # E: contract (the allocation decisions: see the module's notes).
    references, decided = _contract(invoice, lines)
    term = _add(root, "deliveryTerm")
    _optional(term, "contractDate", _dmy(decided))
    _optional(term, "contractNum", references[:100])
    _add(term, "hasContract", "true" if references else "false")

    # G: lines and totals.
    product_set = _add(root, "productSet")
    _add(product_set, "currencyCode", invoice.currency)
    products = _add(product_set, "products")
    for line in lines:
        product = _add(products, "product")
        _add(product, "catalogTruId", CATALOG_TRU_ID)
        _add(product, "description", line.description)
        _add(product, "ndsAmount", _amount(line.vat_amount))
        if line.vat_rate:
            _add(product, "ndsRate", _rate_percent(line.vat_rate))
        _add(product, "priceWithTax", _amount(line.gross_amount))
        _add(product, "priceWithoutTax", _amount(line.net_amount))
        _add(product, "quantity", _up_to(line.quantity, 6))
        _add(product, "truOriginCode", SERVICES_ORIGIN)
        _add(product, "turnoverSize", _amount(line.net_amount))
        _add(product, "unitNomenclature", HOUR_OKEI)
        _add(product, "unitPrice", _up_to(line.unit_price, 6))
    _add(product_set, "totalExciseAmount", "0.00")
    _add(product_set, "totalNdsAmount", _amount(invoice.vat_total))
    _add(product_set, "totalPriceWithTax", _amount(invoice.gross_total))
    _add(product_set, "totalPriceWithoutTax", _amount(invoice.net_total))
    _add(product_set, "totalTurnoverSize", _amount(invoice.net_total))

    # B: seller.
    sellers = _add(root, "sellers")
    node = _add(sellers, "seller")
    _optional(node, "address", seller.get("address_ru") or seller.get("address_kk"))
    _optional(node, "bank", seller.get("bank_name") or seller.get("bank"))
    _optional(node, "bik", seller.get("bik"))
    _optional(node, "iik", seller.get("iik"))
    _optional(node, "kbe", seller.get("kbe"))
    _add(node, "name", seller.get("name_ru") or seller.get("name_kk") or "")
    _add(node, "tin", seller.get("bin", ""))

    ET.indent(container, space="  ")
    body = ET.tostring(container, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body + "\n").encode()


# --- Checking ----------------------------------------------------------------------------

DATE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _places(text: str) -> int:
    return len(text.partition(".")[2]) if "." in text else 0


def _valid_iban(value: str) -> bool:
    if not re.fullmatch(r"KZ\d{2}[0-9A-Z]{16}", value):
        return False
    moved = value[4:] + value[:4]
    digits = "".join(str(int(char, 36)) for char in moved)
    return int(digits) % 97 == 1


class _Checker:
    def __init__(self):
        self.errors: list[str] = []

    def error(self, message: str) -> None:
        self.errors.append(message)

    def date(self, where: str, label: str, value: str) -> None:
        if not value:
            self.error(_("%(where)s: the %(field)s is missing.") % {"where": where, "field": label})
            return
        try:
            if not DATE_RE.match(value):
                raise ValueError
            datetime.strptime(value, "%d.%m.%Y")
        except ValueError:
            self.error(
                _("%(where)s: the %(field)s %(value)s is not a date (dd.mm.yyyy).")
                % {"where": where, "field": label, "value": value}
            )

    def required(self, where: str, label: str, value: str) -> bool:
        if not value:
            self.error(_("%(where)s: the %(field)s is missing.") % {"where": where, "field": label})
            return False
        return True

    def decimal(self, where: str, label: str, value: str, places: int, *, required=True):
        """The value as a Decimal, or None after an error (missing, not a number, too
        many decimal places)."""
        if not value:
            if required:
                self.required(where, label, value)
            return None
        try:
            number = Decimal(value)
            if not re.fullmatch(r"-?\d+(\.\d+)?", value):
                raise InvalidOperation
        except InvalidOperation:
            self.error(
                _("%(where)s: the %(field)s %(value)s is not a number.")
                % {"where": where, "field": label, "value": value}
            )
            return None
        if _places(value) > places:
            self.error(
                _("%(where)s: the %(field)s %(value)s has more than %(places)s decimal places.")
                % {"where": where, "field": label, "value": value, "places": places}
            )
            return None
        return number

    def bin(self, where: str, label: str, value: str) -> None:
        if not self.required(where, label, value):
            return
        if not is_valid_bin(value):
            self.error(
                _("%(where)s: the %(field)s %(value)s is not a valid BIN or IIN.")
                % {"where": where, "field": label, "value": value}
            )


def validate_esf(xml: bytes) -> list[str]:
    """Check an InvoiceV2 XML for what IS ESF requires of ours: the required fields of
    sections A, B, C, E and G, identifiers, decimal places and that the amounts add up.
    Returns clear messages; an empty list means valid."""
    check = _Checker()
    try:
        container = ET.fromstring(xml)
    except ET.ParseError as error:
        return [_("The XML cannot be read: %(error)s.") % {"error": error}]
    if container.tag != f"{{{ESF_NS}}}invoiceContainer":
        return [_("The root element must be esf:invoiceContainer.")]
    invoices = container.findall(f"invoiceSet/{{{V2_NS}}}invoice")
    if not invoices:
        return [_("The container holds no v2:invoice in invoiceSet.")]
    for invoice in invoices:
        _check_invoice(check, invoice)
    return check.errors


def _check_invoice(check: _Checker, invoice: ET.Element) -> None:
    a = _("Section A")
    check.date(a, _("date"), _text(invoice, "date"))
    check.required(a, _("number"), _text(invoice, "num"))
    check.date(a, _("turnover date"), _text(invoice, "turnoverDate"))
    kind = _text(invoice, "invoiceType")
    if kind not in INVOICE_TYPES:
        check.error(
            _("%(where)s: the invoice type %(value)s is unknown.")
            % {"where": a, "value": kind or "—"}
        )

    b = _("Section B (seller)")
    seller = invoice.find("sellers/seller")
    if seller is None:
        check.error(_("%(where)s: the seller is missing.") % {"where": b})
    else:
        check.bin(b, _("BIN"), _text(seller, "tin"))
        check.required(b, _("name"), _text(seller, "name"))
        check.required(b, _("address"), _text(seller, "address"))
        iik = _text(seller, "iik")
        if check.required(b, _("account (IIK)"), iik) and not _valid_iban(iik):
            check.error(
                _("%(where)s: the account %(value)s is not a valid Kazakh IBAN.")
                % {"where": b, "value": iik}
            )
        bik = _text(seller, "bik")
        if check.required(b, _("bank code (BIK)"), bik) and not re.fullmatch(
            r"[A-Z0-9]{8}([A-Z0-9]{3})?", bik
        ):
            check.error(
                _("%(where)s: the bank code %(value)s must have 8 or 11 letters and digits.")
                % {"where": b, "value": bik}
            )
        check.required(b, _("bank"), _text(seller, "bank"))
        kbe = _text(seller, "kbe")
        if check.required(b, _("beneficiary code (KBe)"), kbe) and not re.fullmatch(r"\d{2}", kbe):
            check.error(
                _("%(where)s: the beneficiary code %(value)s must have 2 digits.")
                % {"where": b, "value": kbe}
            )

    c = _("Section C (customer)")
    customer = invoice.find("customers/customer")
    if customer is None:
        check.error(_("%(where)s: the customer is missing.") % {"where": c})
    else:
        check.required(c, _("name"), _text(customer, "name"))
        country = _text(customer, "countryCode")
        if check.required(c, _("country code"), country) and country == "KZ":
            check.bin(c, _("BIN"), _text(customer, "tin"))

    e = _("Section E (contract)")
    term = invoice.find("deliveryTerm")
    if term is None or _text(term, "hasContract") not in ("true", "false"):
        check.error(_("%(where)s: hasContract must be true or false.") % {"where": e})
    elif _text(term, "hasContract") == "true":
        check.required(e, _("contract number"), _text(term, "contractNum"))
        if _text(term, "contractDate"):
            check.date(e, _("contract date"), _text(term, "contractDate"))

    _check_products(check, invoice)


def _check_products(check: _Checker, invoice: ET.Element) -> None:
    g = _("Section G")
    product_set = invoice.find("productSet")
    if product_set is None:
        check.error(_("%(where)s: the lines (productSet) are missing.") % {"where": g})
        return
    check.required(g, _("currency code"), _text(product_set, "currencyCode"))
    products = product_set.findall("products/product")
    if not products:
        check.error(_("%(where)s: there is no line.") % {"where": g})
    sums = {"net": Decimal(0), "vat": Decimal(0), "gross": Decimal(0)}
    complete = True
    for number, product in enumerate(products, start=1):
        where = _("Section G, line %(number)s") % {"number": number}
        check.required(where, _("description"), _text(product, "description"))
        unit = _text(product, "unitNomenclature")
        if check.required(where, _("unit code"), unit) and not re.fullmatch(r"\d{3,4}", unit):
            check.error(
                _("%(where)s: the unit code %(value)s is not an OKEI code.")
                % {"where": where, "value": unit}
            )
        quantity = check.decimal(where, _("quantity"), _text(product, "quantity"), 6)
        price = check.decimal(where, _("unit price"), _text(product, "unitPrice"), 6)
        net = check.decimal(where, _("amount without tax"), _text(product, "priceWithoutTax"), 2)
        vat = check.decimal(where, _("VAT amount"), _text(product, "ndsAmount"), 2)
        gross = check.decimal(where, _("amount with tax"), _text(product, "priceWithTax"), 2)
        turnover = check.decimal(where, _("turnover"), _text(product, "turnoverSize"), 2)
        rate_text = _text(product, "ndsRate")
        rate = check.decimal(where, _("VAT rate"), rate_text, 2, required=False)
        if rate is not None and not (0 <= rate < 100):
            check.error(
                _("%(where)s: the VAT rate %(value)s is not a percentage.")
                % {"where": where, "value": rate_text}
            )
            rate = None
        if None in (net, vat, gross):
            complete = False
            continue
        if quantity is not None and quantity <= 0:
            check.error(_("%(where)s: the quantity must be positive.") % {"where": where})
        if net + vat != gross:
            check.error(
                _("%(where)s: the amount with tax %(gross)s is not %(net)s + %(vat)s.")
                % {"where": where, "gross": gross, "net": net, "vat": vat}
            )
        if turnover is not None and turnover != net:
            check.error(
                _("%(where)s: the turnover %(turnover)s differs from the amount without tax.")
                % {"where": where, "turnover": turnover}
            )
        if rate is not None and (net * rate / 100).quantize(CENT, ROUND_HALF_UP) != vat:
            check.error(
                _("%(where)s: the VAT amount %(vat)s is not %(rate)s %% of %(net)s.")
                % {"where": where, "vat": vat, "rate": rate_text, "net": net}
            )
        if (
            quantity is not None
            and price is not None
            and (quantity * price).quantize(CENT, ROUND_HALF_UP) != net
        ):
            check.error(
                _("%(where)s: the amount without tax %(net)s is not quantity × unit price.")
                % {"where": where, "net": net}
            )
        sums["net"] += net
        sums["vat"] += vat
        sums["gross"] += gross

    totals = {
        "net": (_("total without tax"), "totalPriceWithoutTax"),
        "vat": (_("total VAT"), "totalNdsAmount"),
        "gross": (_("total with tax"), "totalPriceWithTax"),
    }
    for key, (label, tag) in totals.items():
        value = check.decimal(g, label, _text(product_set, tag), 2)
        if value is not None and complete and products and value != sums[key]:
            check.error(
                _("%(where)s: the %(field)s %(value)s is not the sum of the lines (%(sum)s).")
                % {"where": g, "field": label, "value": value, "sum": sums[key]}
            )
    check.decimal(g, _("total turnover"), _text(product_set, "totalTurnoverSize"), 2)
