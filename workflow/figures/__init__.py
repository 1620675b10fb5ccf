"""Figures computed from the record (issue 17, section 2): the funnel, processing times, amounts
and the budget per funding period, for one alliance or several, for a calendar year or a funding
period. `data` says what they are (plain dataclasses), `queries` reads them from the event log (nothing stored twice), `tables` lays them out as
the labelled tables that the page, the CSV and the XLSX show alike, `views` serves them."""
