from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from riskhub.inventory.classification import InvalidAnswers, classify


class Command(BaseCommand):
    help = (
        "Classify an AI asset from a JSON file of questionnaire answers (optionally with an "
        '"org" object holding the organisation profile) and print the result as JSON.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="JSON file with the answers")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            answers = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(answers, dict):
            raise CommandError(f"{path} must hold a JSON object of answers")
        org = answers.pop("org", None)
        try:
            result = classify(answers, org)
        except InvalidAnswers as exc:
            lines = "\n".join(f"  {name}: {message}" for name, message in exc.errors.items())
            raise CommandError(f"Invalid answers in {path}:\n{lines}") from exc
        self.stdout.write(json.dumps(result, indent=2))
