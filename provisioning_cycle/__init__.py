"""`python -m webex_scim simulate`: what Webex would receive, per user, from a directory snapshot and a stack.

Split by job, each module importable alone (no cycles; the preview engine imports none of them):

    snapshot      read a Graph-shaped snapshot (JSON array, `{"value": [...]}` page, CSV) into source users
    attributes    Graph user properties -> the synchronization engine's attribute names (objectId, telephoneNumber…)
    stack         the stack's mappings, scope and assignments, read as the preview reads them
    scope         who Entra provisions: assignments, Default Access, disabled users, scoping filters
    expressions   Entra's mapping-expression language: parser
    evaluate      ... evaluator, with functions (functions, texts, datetimes, diacritics)
    payload       mapping rows -> the SCIM 2.0 User Webex receives on create; scim2-models validation (models)
    run           the whole simulation, cross-user checks (duplicates, verified domains), summary
    render        JSON (shared/DESIGN.md "Simulation"), Markdown, terminal summary
    graph_users   `--users graph`: the users the assignments cover, read live from Microsoft Graph
    graph_check   `--check-with-graph`: Graph's parseExpression evaluates our expressions, mismatches reported
    checks        what Webex refuses and Entra fails, one function a rule (simulate, replay and match apply them)
    first_cycle   what the first cycle sends a user Webex already has: the one rule of the replay and match
    replay        `--scim-url`: the cycle played as Entra's SCIM client plays it, against any SCIM 2.0 server
    diffusers     `diff --users`: who starts or stops being provisioned, and whose payload changes
    command       the `simulate` subcommand

`python -m webex_scim match`: the Webex org read-only, each Entra user's match before the first cycle:

    scim_http     the SCIM client: token, bounded retries, deadline, GET only for match (replay shares it)
    webex_users   Webex's users read tolerantly from its JSON
    webex_reader  the probe, Entra's lookups, the org listing
    classify      each user's class (match, new, near-miss, conflict…) and reason
    match_render  terminal, JSON, Markdown
    match_command the `match` subcommand
"""
