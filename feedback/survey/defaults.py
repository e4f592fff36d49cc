"""The first cycle's questions: DX Core 4's effectiveness questions and the platform's own.

Later cycles copy the previous cycle's questions (`services.create_cycle`), so this list is
only the starting point; the platform team edits questions in the Django admin.
"""

from feedback.survey.choices import Dimension, QuestionKind

LIKERT, NPS, TEXT, MULTIPLE = (
    QuestionKind.LIKERT,
    QuestionKind.NPS,
    QuestionKind.TEXT,
    QuestionKind.MULTIPLE,
)

# (text, kind, dimension, why follow-up, choices)
DEFAULT_QUESTIONS: list[tuple[str, str, str, bool, list[str]]] = [
    # DX Core 4, effectiveness: the Developer Experience Index questions.
    ("I can get my work done with few interruptions and little waiting.", LIKERT,
     Dimension.EFFECTIVENESS, True, []),
    ("Our tools and processes let me ship changes quickly and safely.", LIKERT,
     Dimension.EFFECTIVENESS, False, []),
    ("I can understand the code and systems I work on.", LIKERT, Dimension.EFFECTIVENESS,
     False, []),
    # The platform's own questions.
    ("Creating a new service on the platform is easy.", LIKERT, Dimension.SPEED, True, []),
    ("Provisioning a database, bucket or queue is easy.", LIKERT, Dimension.SPEED, True, []),
    ("I can find a service's docs and its owners quickly.", LIKERT, Dimension.EFFECTIVENESS,
     False, []),
    ("Debugging with the observability stack (logs, metrics, traces) is easy.", LIKERT,
     Dimension.QUALITY, True, []),
    ("I trust the platform to work when I need it.", LIKERT, Dimension.QUALITY, True, []),
    ("Which parts of the platform did you use this quarter?", MULTIPLE, "", False,
     ["Service catalog", "Create a service", "Provisioning", "Observability", "API tokens"]),
    ("How likely are you to recommend the platform to a colleague?", NPS, Dimension.IMPACT,
     True, []),
    ("What should the platform team improve next?", TEXT, "", False, []),
]  # fmt: skip
