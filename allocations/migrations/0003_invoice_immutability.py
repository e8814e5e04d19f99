"""Issued invoices and credit notes never change: PostgreSQL triggers enforce it below the
ORM (queryset .update()/.delete(), bulk_create and raw SQL included).

- allocations_invoice, BEFORE UPDATE OR DELETE: a draft changes freely. Otherwise every
  column except state, paid_on, cancelled_reason, invoice_pdf, act_pdf and run_id must
  stay as it is (compared as whole rows, so columns added later are protected too); state
  may go only issued → paid (paid_on set then) or issued → cancelled (cancelled_reason
  set then); each PDF may be filled once; run_id may only be cleared. Only drafts are
  deleted.
- allocations_invoiceline, AFTER INSERT / UPDATE / DELETE, once per statement: only
  lines of drafts.
- allocations_creditnote: written only for an issued, paid or cancelled invoice; never
  changed except its PDF filled once; never deleted.
- allocations_creditnoteline: inserted only in the transaction that wrote its credit note
  (before its PDF is stored); never changed or deleted.

Violations raise SQLSTATE 23000 (Django: IntegrityError). TRUNCATE (test flushes) is not
guarded. Other databases (SQLite, the embedded default) rely on the ORM guards of
allocations/billing/guards.py.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION billing_refuse(message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION billing_guard_invoice() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    free_columns text[] := ARRAY['state', 'paid_on', 'cancelled_reason', 'invoice_pdf',
                                 'act_pdf', 'run_id'];
    label text;
BEGIN
    label := coalesce(OLD.number, '#' || OLD.id::text);
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            PERFORM billing_refuse(format('invoice %s is %s: it is never deleted',
                                          label, OLD.state));
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state = 'draft' THEN
        RETURN NEW;
    END IF;
    IF (to_jsonb(NEW) - free_columns) IS DISTINCT FROM (to_jsonb(OLD) - free_columns) THEN
        PERFORM billing_refuse(format(
            'invoice %s is %s: its content never changes; correct it with a credit note',
            label, OLD.state));
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state
       AND NOT (OLD.state = 'issued' AND NEW.state IN ('paid', 'cancelled')) THEN
        PERFORM billing_refuse(format('invoice %s cannot go from %s to %s',
                                      label, OLD.state, NEW.state));
    END IF;
    IF NEW.paid_on IS DISTINCT FROM OLD.paid_on
       AND NOT (OLD.state = 'issued' AND NEW.state = 'paid') THEN
        PERFORM billing_refuse(format('invoice %s: the payment date is set once, when paid',
                                      label));
    END IF;
    IF NEW.state = 'paid' AND OLD.state <> 'paid' AND NEW.paid_on IS NULL THEN
        PERFORM billing_refuse(format('invoice %s: a paid invoice needs its payment date',
                                      label));
    END IF;
    IF NEW.cancelled_reason IS DISTINCT FROM OLD.cancelled_reason
       AND NOT (OLD.state = 'issued' AND NEW.state = 'cancelled') THEN
        PERFORM billing_refuse(format('invoice %s: the reason is given when cancelling',
                                      label));
    END IF;
    IF NEW.invoice_pdf IS DISTINCT FROM OLD.invoice_pdf AND OLD.invoice_pdf <> '' THEN
        PERFORM billing_refuse(format('invoice %s: its invoice PDF is stored once', label));
    END IF;
    IF NEW.act_pdf IS DISTINCT FROM OLD.act_pdf AND OLD.act_pdf <> '' THEN
        PERFORM billing_refuse(format('invoice %s: its act PDF is stored once', label));
    END IF;
    IF NEW.run_id IS DISTINCT FROM OLD.run_id AND NEW.run_id IS NOT NULL THEN
        PERFORM billing_refuse(format('invoice %s cannot move to another run', label));
    END IF;
    RETURN NEW;
END $$;

-- Statement-level, with transition tables: one check per statement, however many lines
-- it writes (the invoicing run inserts and deletes thousands at a time).
CREATE OR REPLACE FUNCTION billing_guard_invoice_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        -- FOR SHARE waits for a transaction issuing one of the invoices, then reads
        -- its outcome.
        PERFORM 1 FROM allocations_invoice
          WHERE id IN (SELECT invoice_id FROM old_rows) ORDER BY id FOR SHARE;
        SELECT number, state INTO bad FROM allocations_invoice
          WHERE id IN (SELECT invoice_id FROM old_rows) AND state <> 'draft' LIMIT 1;
        IF FOUND THEN
            PERFORM billing_refuse(format(
                'invoice %s is %s: its lines never change; correct it with a credit note',
                bad.number, bad.state));
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM 1 FROM allocations_invoice
          WHERE id IN (SELECT invoice_id FROM new_rows) ORDER BY id FOR SHARE;
        SELECT number, state INTO bad FROM allocations_invoice
          WHERE id IN (SELECT invoice_id FROM new_rows) AND state <> 'draft' LIMIT 1;
        IF FOUND THEN
            PERFORM billing_refuse(format(
                'invoice %s is %s: no line can be added to it', bad.number, bad.state));
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- Whether a row version was written by the current transaction (or one of its
-- subtransactions): its xmin is "in progress", and rows of other transactions still in
-- progress are invisible to this one.
CREATE OR REPLACE FUNCTION billing_written_by_this_transaction(row_xmin xid) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    current_full bigint := pg_current_xact_id()::text::bigint;
    full_xid bigint;
BEGIN
    full_xid := ((current_full >> 32) << 32) | row_xmin::text::bigint;
    IF full_xid > current_full + 2147483648 THEN
        full_xid := full_xid - 4294967296;
    ELSIF full_xid < current_full - 2147483648 THEN
        full_xid := full_xid + 4294967296;
    END IF;
    IF full_xid < 3 THEN
        RETURN false;
    END IF;
    RETURN coalesce(pg_xact_status(full_xid::text::xid8) = 'in progress', false);
EXCEPTION WHEN others THEN
    RETURN false;
END $$;

CREATE OR REPLACE FUNCTION billing_guard_credit_note() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    found_state text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM billing_refuse(format('credit note %s is never deleted', OLD.number));
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT state INTO found_state FROM allocations_invoice
         WHERE id = NEW.invoice_id FOR SHARE;
        IF found_state = 'draft' THEN
            PERFORM billing_refuse('a draft invoice cannot have a credit note');
        END IF;
        RETURN NEW;
    END IF;
    IF (to_jsonb(NEW) - 'pdf') IS DISTINCT FROM (to_jsonb(OLD) - 'pdf') THEN
        PERFORM billing_refuse(format('credit note %s never changes', OLD.number));
    END IF;
    IF NEW.pdf IS DISTINCT FROM OLD.pdf AND OLD.pdf <> '' THEN
        PERFORM billing_refuse(format('credit note %s: its PDF is stored once', OLD.number));
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION billing_guard_credit_note_line() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    note_xmin xid;
    note_pdf text;
    note_number text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM billing_refuse('the lines of a credit note never change');
    END IF;
    SELECT xmin, pdf, number INTO note_xmin, note_pdf, note_number
      FROM allocations_creditnote WHERE id = NEW.credit_note_id;
    IF note_number IS NOT NULL AND (
        note_pdf <> '' OR NOT billing_written_by_this_transaction(note_xmin)
    ) THEN
        PERFORM billing_refuse(format(
            'credit note %s is written: no line can be added to it', note_number));
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER billing_invoice_guard
    BEFORE UPDATE OR DELETE ON allocations_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_guard_invoice();
CREATE TRIGGER billing_invoice_line_insert_guard
    AFTER INSERT ON allocations_invoiceline REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION billing_guard_invoice_lines();
CREATE TRIGGER billing_invoice_line_update_guard
    AFTER UPDATE ON allocations_invoiceline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION billing_guard_invoice_lines();
CREATE TRIGGER billing_invoice_line_delete_guard
    AFTER DELETE ON allocations_invoiceline REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION billing_guard_invoice_lines();
CREATE TRIGGER billing_credit_note_guard
    BEFORE INSERT OR UPDATE OR DELETE ON allocations_creditnote
    FOR EACH ROW EXECUTE FUNCTION billing_guard_credit_note();
CREATE TRIGGER billing_credit_note_line_guard
    BEFORE INSERT OR UPDATE OR DELETE ON allocations_creditnoteline
    FOR EACH ROW EXECUTE FUNCTION billing_guard_credit_note_line();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS billing_credit_note_line_guard ON allocations_creditnoteline;
DROP TRIGGER IF EXISTS billing_credit_note_guard ON allocations_creditnote;
DROP TRIGGER IF EXISTS billing_invoice_line_delete_guard ON allocations_invoiceline;
DROP TRIGGER IF EXISTS billing_invoice_line_update_guard ON allocations_invoiceline;
DROP TRIGGER IF EXISTS billing_invoice_line_insert_guard ON allocations_invoiceline;
DROP TRIGGER IF EXISTS billing_invoice_guard ON allocations_invoice;
DROP FUNCTION IF EXISTS billing_guard_credit_note_line();
DROP FUNCTION IF EXISTS billing_guard_credit_note();
DROP FUNCTION IF EXISTS billing_written_by_this_transaction(xid);
DROP FUNCTION IF EXISTS billing_guard_invoice_lines();
DROP FUNCTION IF EXISTS billing_guard_invoice();
DROP FUNCTION IF EXISTS billing_refuse(text);
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("allocations", "0002_billing_reference_data")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
