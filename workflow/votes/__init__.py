"""The partners' vote as one feature package.

- `timing`: when a vote decides (circulation deadline, sessions) and its status as people see it;
- writes: `opening` and `closing` (the effects of `open_vote` and `close_vote`), `casting` (ballots,
  conflicts of interest), `to_session` (a circulation onto a session's agenda: objections, no quorum, waiting votes),
  `session_items` (a session's ballots recorded by the coordination);
- `queries`: the vote as one person may see it (ballot secrecy, decided in one function), `page`:
  the vote page's data;
- `jobs`: the vote's part of `tick`; `mails`: what the vote sends;
- `views`: the vote page and the vote's forms (the views level: nothing else here imports it).

Every write takes the application's lock first (`lifecycle.lock`); what moves a vote onto a
session takes the alliance's agenda before it (`lifecycle.lock_agenda`). Each write commits once,
at its end.
"""
