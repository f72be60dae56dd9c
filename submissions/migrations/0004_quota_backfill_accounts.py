"""Build the quota accounts from reservations recorded before accounts existed."""

from django.db import migrations
from django.db.models import F, Sum


def backfill(apps, schema_editor):
    Reservation = apps.get_model("submissions", "QuotaReservation")
    Account = apps.get_model("submissions", "QuotaAccount")

    def add(lookup, held, used):
        account, _ = Account.objects.get_or_create(**lookup)
        Account.objects.filter(pk=account.pk).update(
            held_bytes=F("held_bytes") + held, used_bytes=F("used_bytes") + used
        )

    rows = Reservation.objects.values("facility_id", "group_id", "user_id", "area", "state").annotate(
        held=Sum("nbytes"), settled=Sum(F("settled_bytes") - F("deleted_bytes"))
    )
    for row in rows:
        held = row["held"] if row["state"] == "held" else 0
        used = (row["settled"] or 0) if row["state"] == "settled" else 0
        if not held and not used:
            continue
        base = {"facility_id": row["facility_id"], "area": row["area"]}
        add({**base, "scope": "facility", "group_id": None, "user_id": None}, held, used)
        add({**base, "scope": "user", "group_id": None, "user_id": row["user_id"]}, held, used)
        if row["group_id"] is not None:
            add({**base, "scope": "group", "group_id": row["group_id"], "user_id": None}, held, used)


class Migration(migrations.Migration):

    dependencies = [
        ("submissions", "0003_quota_accounts"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
