"""The worker that sends participants' messages: run it beside the web server, or from cron
with --once every minute (docs/deployment.md, *Sending messages*)."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from reports.notifications import SendResult, notifications_send_all_due, notifications_send_due

BATCH = 20


class Command(BaseCommand):
    help = "Send the messages that are due (and retry failed ones), once or in a loop."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="send what is due now, then stop (for cron)"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="seconds to wait between runs when looping (default 30)",
        )

    def handle(self, *args, once: bool, interval: float, **options) -> None:
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        if once:
            self._report(notifications_send_all_due())
            return
        stop = threading.Event()

        def request_stop(signum, frame) -> None:
            # Finish the message being sent, then leave: never mid-send.
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write(f"Sending messages every {interval:g} seconds; stop with SIGTERM.")
        while not stop.is_set():
            # A database restart between runs must not end the worker.
            close_old_connections()
            try:
                # Small batches, so a stop request waits for a few messages at most.
                result = notifications_send_due(limit=BATCH)
            except Exception as error:  # log, wait, try again
                self.stderr.write(f"Sending failed: {type(error).__name__}: {error}")
                result = SendResult(stopped=True)
            if result.handled:
                self._report(result)
            if result.handled < BATCH or result.stopped:
                stop.wait(interval)
        self.stdout.write("Stopped.")

    def _report(self, result: SendResult) -> None:
        line = (
            f"Sent {result.sent}, to retry {result.retrying}, failed {result.failed}, "
            f"cancelled {result.cancelled}."
        )
        if result.stopped:
            line += " Stopped early after repeated failures; the rest wait for the next run."
        self.stdout.write(line)
