"""Every state change of the customs cases, in one import:
`from allocations.customs import services`.

The functions live in case_services (the importer's edits), workflow_services (the
transitions between importer and import desk) and monitoring_services (use reports and
reminders after release).
"""

from allocations.customs.case_services import (  # noqa: F401
    add_attachment,
    add_comment,
    add_line,
    add_party,
    clear_line_serials,
    create_case,
    delete_draft,
    import_serials,
    remove_attachment,
    remove_line,
    remove_party,
    remove_serial,
    update_case,
    update_line,
    update_party,
)
from allocations.customs.monitoring_services import (  # noqa: F401
    SerialChange,
    send_report_reminders,
    submit_use_report,
)
from allocations.customs.workflow_services import (  # noqa: F401
    approve_case,
    close_case,
    record_declaration,
    record_release,
    reject_case,
    request_changes,
    submit_case,
    take_case,
)
