"""End-to-end check of a running Custos with the official MCP Python SDK client (PyPI package ``mcp``).

    python client_check.py --transport http|stdio --mode 2026-07-28|auto|legacy

``--mode`` is ``mcp.client.Client(mode=...)``: a pinned 2026-07-28 connection (no handshake, every request carries
its protocol version, client info and capabilities in ``_meta``), ``auto`` (``server/discover``, falling back to the
``initialize`` handshake) or ``legacy`` (the 2025-11-25 ``initialize`` handshake).

Environment (set by custos-server/src/test/java/io/custos/e2e/PythonSdkIT.java):
  CUSTOS_ENDPOINT       (http)  Streamable HTTP URL of /mcp
  CUSTOS_CA_CERT        (http)  PEM file of the server's self-signed certificate (the only trust anchor)
  CUSTOS_STDIO_CMD      (stdio) JSON array: command and arguments that start ``custos serve --stdio``
  CUSTOS_TOKEN                  bearer access token of a clinician (``Authorization`` over http; ``CUSTOS_TOKEN`` in
                                the stdio child's environment)
  CUSTOS_OTHER_TOKEN    (http)  the same for another user (same practitioner, other ``sub``): a request state is bound
                                to its user
  FHIR_BASE                     plain-http base URL of the FHIR R4 upstream, for cross-checks
  CUSTOS_PATIENT                a patient in the clinician's care (more than two vital signs, for paging)
  CUSTOS_OUTSIDE_PATIENT        a patient outside the clinician's care
  CUSTOS_EXPECT_VERSION         the protocol version the connection must settle on

Output: exactly one JSON line on stdout,
``{"transport", "mode", "protocolVersion", "passed", "failed", "checks": [{"name", "ok", "detail"}]}``;
exit code 0 only if every check passed (2: bad usage or environment). Details never hold tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import sys
import traceback
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx2
import mcp.client.session
import mcp_types as types
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

MODERN = "2026-07-28"
LEGACY = "2025-11-25"

def observation_date(r: dict) -> Any:
    return r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start") or r.get("issued")


# The tool contract and its FHIR equivalent (the same table as e2e/client-check.mjs):
# tool -> (largest accepted limit, FHIR type, search parameters for the patient, sort key of a _sort=-date search).
LIST_TOOLS: dict[str, tuple[int, str, Callable[[str], dict[str, str]], Callable[[dict], Any] | None]] = {
    "get_active_conditions": (50, "Condition", lambda p: {"patient": p, "clinical-status": "active"}, None),
    "get_medications": (50, "MedicationRequest", lambda p: {"patient": p, "status": "active"}, None),
    "get_allergies": (50, "AllergyIntolerance", lambda p: {"patient": p}, None),
    "get_lab_results": (50, "Observation", lambda p: {"patient": p, "category": "laboratory", "_sort": "-date"},
                        observation_date),
    "get_vital_signs": (50, "Observation", lambda p: {"patient": p, "category": "vital-signs", "_sort": "-date"},
                        observation_date),
    "get_immunizations": (50, "Immunization", lambda p: {"patient": p}, None),
    "list_encounters": (50, "Encounter", lambda p: {"patient": p, "_sort": "-date"},
                        lambda r: (r.get("period") or {}).get("start") or (r.get("period") or {}).get("end")),
    "check_coverage": (20, "Coverage", lambda p: {"beneficiary": p}, None),
    "list_appointments": (50, "Appointment", lambda p: {"patient": p, "_sort": "-date"}, lambda r: r.get("start")),
    "get_clinical_notes": (5, "DocumentReference", lambda p: {"patient": p, "_sort": "-date"},
                           lambda r: r.get("date") or ((r.get("context") or {}).get("period") or {}).get("start")),
}
SINGLE_TOOLS = ("find_patient", "get_patient_demographics", "get_encounter")
PAGING_TOOL = "get_vital_signs"
WRITE_TOOL = "draft_clinical_note"
POLICY_RESOURCE = "custos://policy"
PROMPT = "pre_visit_summary"
PROPOSAL_SYSTEM = "urn:custos:proposal"
FHIR_PAGE = 100
TIMEOUT_SECONDS = 60.0
RUN_SECONDS = 240.0


class CheckFailed(Exception):
    """A check's expectation did not hold; the message is the check's detail."""


def expect(condition: Any, detail: str) -> None:
    if not condition:
        raise CheckFailed(detail)


class Checks:
    """Runs named checks; a check passes when its coroutine returns without raising."""

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    async def run(self, name: str, fn: Callable[[], Awaitable[str | None]]) -> bool:
        try:
            detail = await fn()
            self.results.append({"name": name, "ok": True, "detail": detail or ""})
            return True
        except CheckFailed as e:
            self.results.append({"name": name, "ok": False, "detail": str(e)[:600]})
        except Exception as e:  # a crash inside a check fails that check, the others still run
            self.results.append({"name": name, "ok": False, "detail": f"threw {describe(e)}"[:600]})
        return False

    def fail(self, name: str, detail: str) -> None:
        self.results.append({"name": name, "ok": False, "detail": detail[:600]})

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r["ok"])


def describe(e: BaseException) -> str:
    if isinstance(e, MCPError):
        return f"MCPError {e.error.code}: {e.error.message}"
    if isinstance(getattr(e, "exceptions", None), (list, tuple)):  # an exception group from a task group
        return "; ".join(describe(x) for x in e.exceptions)
    return f"{type(e).__name__}: {e}"


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        print(f"client_check: environment variable {name} is required", file=sys.stderr)
        sys.exit(2)
    return value


# ------------------------------------------------------------------------------------------- FHIR (plain http)
FHIR_BASE = ""


def fhir_get(path_or_url: str) -> dict:
    url = path_or_url if path_or_url.startswith("http") else f"{FHIR_BASE}/{path_or_url}"
    # A server may answer a repeated search from a cache of earlier results; ask for fresh ones.
    req = urllib.request.Request(url, headers={"Accept": "application/fhir+json", "Cache-Control": "no-cache"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as res:
        return json.loads(res.read())


def fhir_search_all(resource_type: str, params: dict[str, str]) -> tuple[int, list[dict]]:
    """All matching resources (following next links) and the Bundle total."""
    bundle = fhir_get(f"{resource_type}?{urllib.parse.urlencode({**params, '_count': str(FHIR_PAGE)})}")
    total = bundle.get("total")
    resources: list[dict] = []
    while True:
        for entry in bundle.get("entry", []):
            r = entry.get("resource", {})
            if r.get("resourceType") == resource_type and entry.get("search", {}).get("mode", "match") == "match":
                resources.append(r)
        nxt = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None)
        if nxt is None or len(resources) >= 5000:
            break
        bundle = fhir_get(nxt)
    return (total if isinstance(total, int) else len(resources)), resources


def proposal_writes(proposal_id: str) -> int:
    """How many of the patient's DocumentReferences carry the proposal's identifier (a commit writes exactly one)."""
    _, docs = fhir_search_all("DocumentReference", {"patient": os.environ["CUSTOS_PATIENT"]})
    return sum(1 for d in docs for i in d.get("identifier") or []
               if i.get("system") == PROPOSAL_SYSTEM and i.get("value") == proposal_id)


# ------------------------------------------------------------------------------------------- MCP helpers
def text_of(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def structured(name: str, result: types.CallToolResult) -> dict:
    expect(not result.is_error, f"{name}: isError result: {text_of(result)[:300]}")
    sc = result.structured_content
    expect(isinstance(sc, dict), f"{name}: no structuredContent object")
    return sc


def approve_form(params: types.ElicitRequestParams) -> types.ElicitResult:
    """Answers a form elicitation the way a clinician approving the write would: every enum field gets "approve"."""
    schema = getattr(params, "requested_schema", None)
    props = (schema.get("properties") if isinstance(schema, dict) else getattr(schema, "properties", None)) or {}
    content: dict[str, Any] = {}
    for key, prop in props.items():
        p = prop if isinstance(prop, dict) else prop.model_dump(by_alias=True, exclude_none=True)
        if "approve" in (p.get("enum") or []):
            content[key] = "approve"
        elif p.get("type") == "boolean":
            content[key] = True
    return types.ElicitResult(action="accept", content=content)


class Session:
    """One Client connection plus what the checks remember (elicitation prompts seen)."""

    def __init__(self, transport: str, mode: str, token_env: str = "CUSTOS_TOKEN") -> None:
        self.transport = transport
        self.mode = mode
        self.token_env = token_env
        self.elicited: list[types.ElicitRequestParams] = []
        self.http: httpx2.AsyncClient | None = None
        self.version: str | None = None
        self.session_ids: set[str] = set()  # Mcp-Session-Id values the server handed out (HTTP)

    async def on_elicit(self, _ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.elicited.append(params)
        return approve_form(params)

    async def on_response(self, response: httpx2.Response) -> None:
        if "mcp-session-id" in response.headers:
            self.session_ids.add(response.headers["mcp-session-id"])

    def client(self) -> Client:
        token = os.environ.get(self.token_env, "")
        if self.transport == "http":
            tls = ssl.create_default_context(cafile=env("CUSTOS_CA_CERT"))
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            # The transport leaves a caller-supplied httpx client open; whoever made this Session closes it.
            self.http = httpx2.AsyncClient(verify=tls, headers=headers, timeout=httpx2.Timeout(30.0, read=TIMEOUT_SECONDS),
                                           event_hooks={"response": [self.on_response]})
            server: Any = streamable_http_client(env("CUSTOS_ENDPOINT"), http_client=self.http)
        else:
            # The SDK gives server/discover 10 s (DISCOVER_TIMEOUT_SECONDS) and then falls back to the 2025-11-25
            # handshake. Over stdio that clock includes starting the server's JVM, 7-12 s on a busy 2-core machine:
            # the probe gets the same time as every other request, so the era chosen does not depend on machine load.
            mcp.client.session.DISCOVER_TIMEOUT_SECONDS = TIMEOUT_SECONDS
            cmd = json.loads(env("CUSTOS_STDIO_CMD"))
            child_env = {k: v for k, v in os.environ.items() if k not in ("CUSTOS_TOKEN", "CUSTOS_OTHER_TOKEN")}
            if token:
                child_env["CUSTOS_TOKEN"] = token
            server = StdioServerParameters(command=cmd[0], args=cmd[1:], env=child_env)
        return Client(server, mode=self.mode, elicitation_callback=self.on_elicit, read_timeout_seconds=TIMEOUT_SECONDS,
                      client_info=types.Implementation(name="custos-python-sdk-check", version="0.1.0"))


# ------------------------------------------------------------------------------------------- checks
async def check_list_tool(client: Client, tool: str, pid: str) -> str:
    limit, rtype, params, date = LIST_TOOLS[tool]
    result = await client.call_tool(tool, {"patient_id": pid, "limit": limit})
    sc = structured(tool, result)
    items = sc.get("items")
    expect(isinstance(items, list), "structuredContent.items is not an array")
    expect(sc.get("patient_id") == pid, f"patient_id {sc.get('patient_id')!r}")
    expect(sc.get("count") == len(items), f"count {sc.get('count')} != {len(items)} items")
    ids = [it.get("id") for it in items]
    expect(all(isinstance(i, str) and i for i in ids), "an item has no id")
    expect(len(set(ids)) == len(ids), "duplicate ids on one page")
    text_ids = [x.get("id") for x in json.loads(text_of(result)).get("items") or []]
    expect(sorted(text_ids) == sorted(ids), "the text content's items differ from structuredContent's")
    total, resources = fhir_search_all(rtype, params(pid))
    fhir_ids = {r["id"] for r in resources}
    foreign = [i for i in ids if i not in fhir_ids]
    expect(not foreign, f"ids not in the FHIR {rtype} search for this patient: {foreign[:5]}")
    # Records in sensitive categories are withheld and counted instead of returned.
    withheld = (sc.get("withheld") or {}).get("count", 0)
    if total <= limit:
        expect(withheld > 0 or set(ids) == fhir_ids, f"id set differs from FHIR ({len(ids)} vs {len(fhir_ids)})")
        expect(len(ids) + withheld == total, f"{len(ids)} items + {withheld} withheld != FHIR total {total}")
        expect(not sc.get("next_cursor"), "next_cursor although everything fits one page")
        return f"{len(ids)} items == FHIR total {total}"
    expect(len(ids) + withheld == limit, f"FHIR total {total} > limit {limit}, page has {len(ids)} + {withheld}")
    expect(sc.get("next_cursor"), "more results than one page but no next_cursor")
    if date is not None:
        newest = sorted((str(date(r) or "") for r in resources), reverse=True)
        border = newest[limit - 1]
        by_id = {r["id"]: r for r in resources}
        too_old = [i for i in ids if str(date(by_id[i]) or "") < border]
        expect(not too_old, f"page holds items older than the {limit} newest: {too_old[:5]}")
    return f"{len(ids)} items, FHIR total {total}, next_cursor present"


async def read_checks(checks: Checks, client: Client, pid: str, tools: dict[str, types.Tool]) -> None:
    patient = fhir_get(f"Patient/{urllib.parse.quote(pid)}")

    async def demographics() -> str:
        sc = structured("get_patient_demographics", await client.call_tool("get_patient_demographics", {"patient_id": pid}))
        p = sc.get("patient") or {}
        expect(sc.get("patient_id") == pid and p.get("id") == pid, f"ids {sc.get('patient_id')} {p.get('id')}")
        expect(p.get("gender") == patient.get("gender"), f"gender {p.get('gender')} != {patient.get('gender')}")
        expect(p.get("birthDate") == patient.get("birthDate"), f"birthDate {p.get('birthDate')}")
        return ""

    async def find() -> str:
        family = next((n["family"] for n in patient.get("name", []) if n.get("family")), None)
        expect(family, "the FHIR patient has no family name")
        args = {"family": family, "birthdate": patient["birthDate"]}
        sc = structured("find_patient", await client.call_tool("find_patient", args))
        ids = [x.get("id") for x in sc.get("items", [])]
        expect(pid in ids, f"patient not in the result ({len(ids)} items)")
        _, resources = fhir_search_all("Patient", args)
        foreign = set(ids) - {r["id"] for r in resources}
        expect(not foreign, f"ids not in the FHIR Patient search: {sorted(foreign)[:5]}")
        return ""

    async def encounter() -> str:
        _, encounters = fhir_search_all("Encounter", {"patient": pid, "_sort": "-date"})
        expect(encounters, "the patient has no encounters")
        eid = encounters[0]["id"]
        sc = structured("get_encounter", await client.call_tool("get_encounter", {"patient_id": pid, "encounter_id": eid}))
        expect(sc.get("patient_id") == pid and (sc.get("encounter") or {}).get("id") == eid, "wrong encounter")
        subject = encounters[0].get("subject", {}).get("reference", "")
        expect(subject.endswith(f"Patient/{pid}"), f"FHIR Encounter subject {subject}")
        return ""

    await checks.run("read: get_patient_demographics matches the FHIR Patient", demographics)
    await checks.run("read: find_patient(family, birthdate) finds the patient, ids match the FHIR search", find)
    await checks.run("read: get_encounter returns the FHIR Encounter", encounter)
    for tool in LIST_TOOLS:
        await checks.run(f"read: {tool} matches the FHIR {LIST_TOOLS[tool][1]} search",
                         lambda tool=tool: check_list_tool(client, tool, pid))

    async def every_read_tool_swept() -> str:
        read_only = {n for n, t in tools.items() if t.annotations and t.annotations.read_only_hint}
        missing = set(SINGLE_TOOLS) | set(LIST_TOOLS)
        missing -= read_only
        expect(not missing, f"read tools not listed: {sorted(missing)}")
        others = sorted(read_only - set(SINGLE_TOOLS) - set(LIST_TOOLS))
        return f"not swept (need a claim or a research role): {others}" if others else ""

    await checks.run("read: every patient read tool is listed read-only and was swept", every_read_tool_swept)


async def refusal_checks(checks: Checks, client: Client, outside: str) -> None:
    for tool, args in (("get_patient_demographics", {"patient_id": outside}),
                       ("get_vital_signs", {"patient_id": outside, "limit": 5})):
        async def refused(tool: str = tool, args: dict = args) -> str:
            result = await client.call_tool(tool, args)
            expect(result.is_error, f"{tool} answered for a patient outside care")
            text = text_of(result)
            expect("[no_care_relationship]" in text, f"not refused for missing care relationship: {text[:200]}")
            expect(outside not in text, "the refusal echoes the patient id")
            return ""

        await checks.run(f"refusal: {tool} for a patient outside care is refused (no care relationship)", refused)


async def paging_checks(checks: Checks, client: Client, pid: str, outside: str) -> None:
    async def pages() -> str:
        p1 = structured(PAGING_TOOL, await client.call_tool(PAGING_TOOL, {"patient_id": pid, "limit": 2}))
        cursor = p1.get("next_cursor")
        expect(cursor and len(p1["items"]) == 2, f"first page: {len(p1.get('items', []))} items, cursor {bool(cursor)}")
        seen = [x["id"] for x in p1["items"]]
        _, resources = fhir_search_all("Observation", LIST_TOOLS[PAGING_TOOL][2](pid))
        fhir_ids = {r["id"] for r in resources}
        for _ in range(3):  # follow the cursor a few pages: disjoint pages, all of this patient's
            page = structured(PAGING_TOOL, await client.call_tool(
                PAGING_TOOL, {"patient_id": pid, "limit": 2, "cursor": cursor}))
            ids = [x["id"] for x in page["items"]]
            expect(ids, "a page after a cursor is empty")
            expect(page.get("patient_id") == pid, "page for another patient")
            expect(not set(ids) & set(seen), f"page repeats ids {sorted(set(ids) & set(seen))}")
            expect(set(ids) <= fhir_ids, "page ids not in the FHIR search")
            seen += ids
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return f"{len(seen)} items over the pages followed"

    async def cursor_bound() -> str:
        p1 = structured(PAGING_TOOL, await client.call_tool(PAGING_TOOL, {"patient_id": pid, "limit": 2}))
        result = await client.call_tool(PAGING_TOOL, {"patient_id": outside, "limit": 2, "cursor": p1["next_cursor"]})
        expect(result.is_error, "a cursor was accepted for another patient")
        return ""

    async def forged_cursor() -> str:
        result = await client.call_tool(PAGING_TOOL, {"patient_id": pid, "limit": 2, "cursor": "bm90LWEtY3Vyc29y"})
        expect(result.is_error, "a forged cursor was accepted")
        return ""

    await checks.run(f"paging: {PAGING_TOOL} limit=2 follows next_cursor to disjoint pages of FHIR data", pages)
    await checks.run("paging: a cursor used for another patient is refused", cursor_bound)
    await checks.run("paging: a forged cursor is refused", forged_cursor)


def note_args(tag: str) -> dict[str, str]:
    return {"patient_id": os.environ["CUSTOS_PATIENT"], "title": f"Python SDK note {tag}",
            "text": f"Seen today ({tag}). Stable; continue plan. Review in 3 months."}


def committed(name: str, result: types.CallToolResult) -> dict:
    sc = structured(name, result)
    expect(sc.get("status") == "committed", f"status {sc.get('status')}: {json.dumps(sc)[:300]}")
    written = sc.get("written") or {}
    expect(written.get("resource_type") == "DocumentReference" and written.get("created") is True, f"written {written}")
    doc = fhir_get(f"DocumentReference/{written['id']}")
    idents = doc.get("identifier") or []
    expect(any(i.get("system") == PROPOSAL_SYSTEM and i.get("value") == sc["proposal_id"] for i in idents),
           "the stored DocumentReference does not carry the proposal identifier")
    expect(proposal_writes(sc["proposal_id"]) == 1, "not exactly one DocumentReference for the proposal")
    return sc


async def write_checks(checks: Checks, s: Session, client: Client, modern: bool) -> None:
    tag = f"{s.transport}-{s.mode}"

    async def approved_and_committed() -> str:
        before = len(s.elicited)
        sc = committed(WRITE_TOOL, await client.call_tool(WRITE_TOOL, note_args(f"{tag}-1")))
        expect(len(s.elicited) == before + 1, f"{len(s.elicited) - before} approval forms instead of one")
        form = s.elicited[-1]
        expect(sc["payload_sha256"] in form.message and sc["proposal_id"] in form.message,
               "the approval form does not show the proposal id and payload SHA-256")
        return f"proposal {sc['proposal_id']} committed once"

    await checks.run(f"write: {WRITE_TOOL} proposed, approved in the form "
                     f"({'InputRequiredResult round trip' if modern else 'elicitation/create'}), committed once",
                     approved_and_committed)

    if modern:
        await modern_replay_checks(checks, s, client, tag)
    else:
        async def replayed_commit() -> str:
            args = note_args(f"{tag}-2")
            sc = committed(WRITE_TOOL, await client.call_tool(WRITE_TOOL, args))
            again = await client.call_tool(WRITE_TOOL, {**args, "proposal_id": sc["proposal_id"]})
            expect(again.is_error and "[already_used]" in text_of(again), f"replay not refused: {text_of(again)[:200]}")
            expect(proposal_writes(sc["proposal_id"]) == 1, "the replay wrote again")
            return ""

        await checks.run("write: committing an approved proposal again is refused (already_used), nothing written",
                         replayed_commit)


async def refused_state(send: Callable[[], Awaitable[Any]], request_state: str) -> str:
    """Sends a retry that carries a request state the server must refuse: -32602, nothing of the state echoed."""
    try:
        result = await send()
    except MCPError as e:
        expect(e.error.code == types.INVALID_PARAMS, f"refused with {e.error.code}, not -32602")
        expect(request_state not in f"{e.error.message} {e.error.data}", "the error echoes the requestState")
        return f"-32602 {e.error.message}"
    raise CheckFailed(f"answered with {type(result).__name__}"
                      + (f": {text_of(result)[:200]}" if isinstance(result, types.CallToolResult) else ""))


async def modern_replay_checks(checks: Checks, s: Session, client: Client, tag: str) -> None:
    """The multi-round-trip flow driven by hand with the low-level session, to send one round more than once."""
    session = client.session
    args = note_args(f"{tag}-3")
    state: dict[str, Any] = {}

    def retry(on: Any, request_state: str, arguments: dict[str, str] = args) -> Callable[[], Awaitable[Any]]:
        return lambda: on.call_tool(WRITE_TOOL, arguments, input_responses=state["responses"],
                                    request_state=request_state, allow_input_required=True)

    async def input_required() -> str:
        first = await session.call_tool(WRITE_TOOL, args, allow_input_required=True)
        expect(isinstance(first, types.InputRequiredResult), f"propose answered {type(first).__name__}, not InputRequiredResult")
        expect(first.request_state, "InputRequiredResult without requestState")
        expect(first.input_requests, "InputRequiredResult without inputRequests")
        forms = {k: r for k, r in first.input_requests.items() if isinstance(r, types.ElicitRequest)}
        expect(len(forms) == 1, f"{len(first.input_requests)} input requests, {len(forms)} elicitation/create forms")
        key, req = next(iter(forms.items()))
        expect(getattr(req.params, "mode", "form") in (None, "form"), "not a form elicitation")
        state["responses"] = {key: approve_form(req.params)}
        state["request_state"] = first.request_state
        return ""

    async def other_user() -> str:
        expect(state, "no requestState to try")
        other = Session(s.transport, s.mode, token_env="CUSTOS_OTHER_TOKEN")
        try:
            async with other.client() as bob:
                detail = await refused_state(retry(bob.session, state["request_state"]), state["request_state"])
        finally:
            await other.http.aclose()
        return detail

    async def commit_once() -> str:
        expect(state, "no InputRequiredResult to answer")
        result = await retry(session, state["request_state"])()
        expect(isinstance(result, types.CallToolResult), f"retry answered {type(result).__name__}")
        state["proposal_id"] = committed(WRITE_TOOL, result)["proposal_id"]
        return ""

    async def replay_refused() -> str:
        expect("proposal_id" in state, "nothing committed to replay")
        detail = await refused_state(retry(session, state["request_state"]), state["request_state"])
        expect(proposal_writes(state["proposal_id"]) == 1, "the replay wrote again")
        return detail

    async def tampered_state_refused() -> str:
        expect(state, "no requestState to tamper with")
        raw = state["request_state"]
        forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
        return await refused_state(retry(session, forged), forged)

    await checks.run("write (low-level): the propose step answers InputRequiredResult with one elicitation/create form "
                     "and an opaque requestState", input_required)
    if s.transport == "http":  # one stdio process serves one user
        await checks.run("write (low-level): another user's retry with this requestState is refused (-32602)", other_user)
    await checks.run("write (low-level): the retry with inputResponses + requestState commits once", commit_once)
    await checks.run("write (low-level): the same requestState sent again is refused (-32602), nothing written",
                     replay_refused)
    await checks.run("write (low-level): a tampered requestState is refused (-32602)", tampered_state_refused)


async def listing_checks(checks: Checks, client: Client, modern: bool) -> dict[str, types.Tool]:
    tools: dict[str, types.Tool] = {}

    async def list_tools() -> str:
        cursor = None
        while True:
            page = await client.list_tools(cursor=cursor)
            if modern:
                expect(page.cache_scope == "private", f"tools/list cacheScope {page.cache_scope}")
            tools.update({t.name: t for t in page.tools})
            cursor = page.next_cursor
            if not cursor:
                break
        expect(WRITE_TOOL in tools, f"{WRITE_TOOL} not listed for a clinician with write scopes")
        bad = [n for n, t in tools.items() if t.input_schema.get("additionalProperties") is not False]
        expect(not bad, f"inputSchema without additionalProperties:false: {bad}")
        return f"{len(tools)} tools"

    async def policy_resource() -> str:
        listed = await client.list_resources()
        expect(any(str(r.uri) == POLICY_RESOURCE for r in listed.resources), "custos://policy not listed")
        read = await client.read_resource(POLICY_RESOURCE)
        expect(read.contents and str(read.contents[0].uri) == POLICY_RESOURCE, "no contents")
        if modern:  # what a caller may see depends on who asks: no shared cache may hold it
            expect(listed.cache_scope == "private" and read.cache_scope == "private",
                   f"cacheScope {listed.cache_scope} (list), {read.cache_scope} (read)")
        return ""

    async def prompt() -> str:
        listed = await client.list_prompts()
        expect(any(p.name == PROMPT for p in listed.prompts), f"{PROMPT} not listed")
        expect(not modern or listed.cache_scope == "private", f"prompts/list cacheScope {listed.cache_scope}")
        got = await client.get_prompt(PROMPT, {"patient_id": os.environ["CUSTOS_PATIENT"]})
        expect(got.messages, "the prompt has no messages")
        return ""

    private = " (cacheScope private)" if modern else ""
    await checks.run(f"tools/list lists every tool with a strict inputSchema{private}", list_tools)
    await checks.run(f"resources/list lists {POLICY_RESOURCE} and resources/read reads it{private}", policy_resource)
    await checks.run(f"prompts/list lists {PROMPT} and prompts/get renders it{private}", prompt)
    return tools


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=("http", "stdio"), required=True)
    parser.add_argument("--mode", choices=(MODERN, "auto", "legacy"), required=True)
    opts = parser.parse_args()
    global FHIR_BASE
    FHIR_BASE = env("FHIR_BASE").rstrip("/")
    pid, outside, expected = env("CUSTOS_PATIENT"), env("CUSTOS_OUTSIDE_PATIENT"), env("CUSTOS_EXPECT_VERSION")

    checks = Checks()
    s = Session(opts.transport, opts.mode)
    try:
        # One deadline for the whole run, below the integration test's: a server that never answers fails one check.
        with anyio.fail_after(RUN_SECONDS):
            await run_checks(checks, s, opts, expected, pid, outside)
    except Exception as e:  # the connection itself failed or broke: one failed check, named
        checks.fail("connection", describe(e) + " " + "".join(traceback.format_exception(e))[-800:])
    finally:
        if s.http is not None:
            await s.http.aclose()
    print(json.dumps({"transport": opts.transport, "mode": opts.mode, "protocolVersion": s.version,
                      "passed": len(checks.results) - checks.failed, "failed": checks.failed,
                      "checks": checks.results}))
    return 0 if checks.failed == 0 and checks.results else 1


async def run_checks(checks: Checks, s: Session, opts: argparse.Namespace, expected: str, pid: str, outside: str) -> None:
    async with s.client() as client:
        s.version = client.protocol_version
        modern = s.version == MODERN

        async def negotiated() -> str:
            expect(s.version == expected, f"negotiated {s.version}, expected {expected}")
            return s.version

        await checks.run(f"connect over {opts.transport} with mode={opts.mode} settles on {expected}", negotiated)
        if opts.mode == "auto" and expected == MODERN:
            async def discovered() -> str:
                found = client.session.discover_result
                expect(found is not None, "no server/discover result")
                expect({MODERN, LEGACY} <= set(found.supported_versions), f"supportedVersions {found.supported_versions}")
                return ", ".join(found.supported_versions)

            await checks.run("server/discover lists 2026-07-28 and 2025-11-25", discovered)
        tools = await listing_checks(checks, client, modern)
        await read_checks(checks, client, pid, tools)
        await refusal_checks(checks, client, outside)
        await paging_checks(checks, client, pid, outside)
        await write_checks(checks, s, client, modern)
        if opts.transport == "http":
            async def sessions() -> str:
                if modern:
                    expect(not s.session_ids, "a 2026-07-28 response carried Mcp-Session-Id")
                    return "stateless: no Mcp-Session-Id"
                expect(len(s.session_ids) == 1, f"{len(s.session_ids)} Mcp-Session-Id values over one connection")
                return "one Mcp-Session-Id"

            await checks.run("HTTP: no session in 2026-07-28, one session in 2025-11-25", sessions)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
