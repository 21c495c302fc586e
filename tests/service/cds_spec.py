"""Checks of CDS Hooks 2.0 documents against the specification's logical models and invariants
(../shared/data/ehr/cds-hooks/input/fsh: CDSHooksServices, CDSHooksResponse, CDSHooksFeedback; cds-resp-1..7).
Each function returns the list of violations (empty when the document conforms)."""

from __future__ import annotations

from typing import Any

INDICATORS = {"info", "warning", "critical"}
ACTION_TYPES = {"create", "update", "delete"}
SELECTION = {"at-most-one", "any"}
ACTION_SELECTION = {"all", "any", "at-most-one"}
LINK_TYPES = {"absolute", "smart"}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _no_empty(document: Any, where: str, problems: list[str]) -> None:
    """The spec: JSON elements SHALL NOT be null or empty (except the cards array, which may be empty)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if _empty(value) and not (key == "cards" and value == []) and not (key == "services" and value == []):
                problems.append(f"{where}.{key} is null or empty")
            _no_empty(value, f"{where}.{key}", problems)
    elif isinstance(document, list):
        for number, item in enumerate(document):
            _no_empty(item, f"{where}[{number}]", problems)


def discovery_problems(document: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(document, dict) or not isinstance(document.get("services"), list):
        return ["discovery: services array required"]
    for number, service in enumerate(document["services"]):
        where = f"services[{number}]"
        for key in ("hook", "description", "id"):
            if not isinstance(service.get(key), str) or not service[key]:
                problems.append(f"{where}.{key} is required (1..1 string)")
        prefetch = service.get("prefetch", {})
        if not isinstance(prefetch, dict) or not all(isinstance(v, str) for v in prefetch.values()):
            problems.append(f"{where}.prefetch must map keys to query strings")
    _no_empty(document, "discovery", problems)
    return problems


def response_problems(document: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(document, dict) or not isinstance(document.get("cards"), list):
        return ["response: cards array required"]
    for number, card in enumerate(document["cards"]):
        where = f"cards[{number}]"
        summary = card.get("summary")
        if not isinstance(summary, str) or not summary or len(summary) > 140:
            problems.append(f"{where}.summary must be a string of at most 140 characters")
        if card.get("indicator") not in INDICATORS:
            problems.append(f"{where}.indicator must be one of {sorted(INDICATORS)}")
        source = card.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("label"), str) or not source["label"]:
            problems.append(f"{where}.source.label is required")
        elif "url" in source and not str(source["url"]).startswith(("http://", "https://")):
            problems.append(f"{where}.source.url must be an absolute URL")
        suggestions = card.get("suggestions", [])
        if suggestions and card.get("selectionBehavior") is None:
            problems.append(f"{where}: cds-resp-6 (suggestions need selectionBehavior)")
        if "selectionBehavior" in card and card["selectionBehavior"] not in SELECTION:
            problems.append(f"{where}.selectionBehavior must be at-most-one or any")
        if card.get("selectionBehavior") == "at-most-one" and sum(
                1 for s in suggestions if s.get("isRecommended")) > 1:
            problems.append(f"{where}: cds-resp-1 (at most one recommended suggestion)")
        for s_number, suggestion in enumerate(suggestions):
            s_where = f"{where}.suggestions[{s_number}]"
            if not isinstance(suggestion.get("label"), str) or not suggestion["label"]:
                problems.append(f"{s_where}.label is required")
            if "actionSelectionBehavior" in suggestion and suggestion["actionSelectionBehavior"] not in (
                    ACTION_SELECTION):
                problems.append(f"{s_where}: cds-resp-7")
            for a_number, action in enumerate(suggestion.get("actions", [])):
                a_where = f"{s_where}.actions[{a_number}]"
                if action.get("type") not in ACTION_TYPES:
                    problems.append(f"{a_where}.type must be create, update or delete")
                if not isinstance(action.get("description"), str) or not action["description"]:
                    problems.append(f"{a_where}: cds-resp-5 (description required)")
                if action.get("type") == "delete" and (not isinstance(action.get("resourceId"), str)
                                                       or "resource" in action):
                    problems.append(f"{a_where}: cds-resp-2 (delete takes a resourceId string, no resource)")
                if action.get("type") in ("create", "update") and not (
                        isinstance(action.get("resource"), dict) and action["resource"].get("resourceType")):
                    problems.append(f"{a_where}: {action['type']} needs a FHIR resource (with resourceType)")
            if "isRecommended" in suggestion and not isinstance(suggestion["isRecommended"], bool):
                problems.append(f"{s_where}.isRecommended must be a boolean")
        for reason in card.get("overrideReasons", []):
            if not isinstance(reason.get("display"), str) or not reason["display"]:
                problems.append(f"{where}: cds-resp-4 (every override reason has a display)")
        for link in card.get("links", []):
            if link.get("type") not in LINK_TYPES or not link.get("label") or not link.get("url"):
                problems.append(f"{where}.links: label, url and type absolute|smart required")
            if link.get("type") != "smart" and "appContext" in link:
                problems.append(f"{where}: cds-resp-3 (appContext only for smart links)")
    _no_empty(document, "response", problems)
    return problems
