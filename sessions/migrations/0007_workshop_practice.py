from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workshop_sessions", "0006_plenarysession_suggestions_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="workshop",
            name="practice",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A rehearsal or pilot run: left out of the phase's summary report unless "
                    "staff include it."
                ),
                verbose_name="practice or pilot workshop",
            ),
        ),
    ]
