## Dutch. Machine translation, to be reviewed by a native speaker: `meta-review = machine` marks it.
## metronode: every word people read on the dashboard, /artefacts and the dashboard's error
## page, in Dutch (nl, as used in Brussels/Belgium). Placeables { $x } are filled by the page;
## numbers arrive formatted for the language.

language-name = Nederlands
choose-language = Taal
title = Digitale inclusie in de metropool
skip-to-content = Naar de cijfers

## The picker.
indicator = Indicator
breakdown = Uitsplitsen naar
series = Reeks
period = Periode
show = Tonen
latest-comparable = laatste vergelijkbare
period-partial = { $period } (gedeeltelijk: { $cities })
headline-series = hoofdreeks

## Sections.
metro-value = Waarde voor de metropool
cities = Steden naast elkaar
gap = Let op de kloof
trend = Evolutie
coverage = Dekking
provenance = Herkomst: waar elk cijfer vandaan komt
federation = Toestand van de federatie
no-data = Van deze indicator is hier nog geen publicatie beschikbaar.

## Values.
withheld = niet vrijgegeven
withheld-why = niet vrijgegeven ({ $why })
low-reliability = lage betrouwbaarheid
no-margin = steekproeffout niet gepubliceerd; geen ruis toegevoegd
interval = { $value } (95%-interval { $low } tot { $high })
interval-clipped = { $value } (95%-interval { $low } tot { $high }; begrensd tot het geldige bereik)
clipped = { $value } (begrensd tot het geldige bereik)
unit-percent = { $value }%
unit-per-100 = { $value } per 100
unit-per-10000 = { $value } per 10.000
percentage-points = { $value } procentpunt
cities-included = { $count ->
    [one] { $count } stad opgenomen
   *[other] { $count } steden opgenomen
}
newer-partial = { $period } is tot nu toe alleen gepubliceerd door { $cities }, niet vergelijkbaar met { $current }:
show-partial = { $period } tonen (gedeeltelijk)
by-dimension = { $indicator } naar { $dimension }

## Tables.
col-city = stad
col-value = waarde
col-cities-included = opgenomen steden
col-withheld-in = niet vrijgegeven in
col-period = periode
col-cities = steden
col-origin = herkomst
col-log-record = logrecord
col-record-hash = hash van het record
col-signer = ondertekenaar
col-method = methode
col-member = lid
col-reachable = bereikbaar
col-last-sync = laatste synchronisatie
col-records = records
col-lag = achterstand
col-flags = signalen
log-record-help = Een logrecord is één ondertekende vermelding in het openbare, enkel aanvulbare log van een stad; het nummer ervan is de positie in dat log.

## The gap between groups.
no-gap-groups = Niet genoeg gepubliceerde groepen om een kloof te berekenen.
tied = { $names } (gelijk)
list-and = { $first } en { $second }
gap-all-tied = Alle { $count } gelijk op { $value }: geen kloof.
gap-indistinct = Hoogste: { $highest } ({ $high }); laagste: { $lowest } ({ $low }). Het verschil van { $difference } valt binnen de foutenmarge van 95% (± { $margin }): niet onderscheidbaar bij 95%, dus geen enkele wordt als beste of slechtste aangeduid.
gap-neutral = Hoogste: { $highest } ({ $high }); laagste: { $lowest } ({ $low }); een verschil van { $difference }. Voor deze indicator is geen richting beter, dus geen enkele wordt als beste of slechtste aangeduid.
gap-ranked = { $served ->
    [yes] Best bediend: { $best } ({ $bestvalue }); slechtst bediend: { $worst } ({ $worstvalue }).
   *[no] Beste: { $best } ({ $bestvalue }); slechtste: { $worst } ({ $worstvalue }).
} Kloof { $difference }; de laagste bedraagt { $ratio } keer de hoogste.
gap-ranked-margin = { $served ->
    [yes] Best bediend: { $best } ({ $bestvalue }); slechtst bediend: { $worst } ({ $worstvalue }).
   *[no] Beste: { $best } ({ $bestvalue }); slechtste: { $worst } ({ $worstvalue }).
} Kloof { $difference }, groter dan de foutenmarge van 95% (± { $margin }); de laagste bedraagt { $ratio } keer de hoogste.

## Trend.
trend-open-points = Open punten betreffen andere steden dan { $period } en worden daarom niet verbonden: { $others }.

## Coverage.
included = Opgenomen: { $cities }.
missing = Ontbrekend: { $cities }.
none = geen
not-yet-published = { $city }: nog niet gepubliceerd voor { $period } (laatste: { $latest })
stale = { $city }: verouderd, { $reason }
stale-since = { $city }: verouderd, { $reason }, laatste synchronisatie { $seconds } s geleden
flag-included = { $city }: opgenomen door de instelling van dit knooppunt, hoewel het log aanwijzingen bevat van { $evidence }
flag-excluded = { $city }: uit elke waarde weggelaten: het log bevat aanwijzingen van { $evidence }
suppressed-cells = { $count } onderdrukte cellen in de gebruikte publicaties (niet vrijgegeven, nooit ingevuld).
post-processing = Getoonde waarden van publicaties met ruis: de verhouding van de gepubliceerde sommen, teruggebracht binnen het geldige bereik (0 tot 100% voor een aandeel, niet-negatief voor een ratio), met het 95%-interval op dezelfde wijze begrensd; een nabewerking van wat gepubliceerd is, zonder bijkomende privacykosten. Tellers en noemers worden getoond zoals ze gepubliceerd zijn.

## Federation health.
this-node = dit knooppunt
seconds-ago = { $seconds } s geleden
never = nooit
yes = ja
no = nee

## Footer.
footer-data = Gegevens: ondertekende publicaties, geverifieerd op dit knooppunt; elk log in de C2SP-formaten onder
footer-export = Exporteer wat getoond wordt:
proof-bundle = bewijsbundel
footer-verify = controleer het offline met
machine-translation = Deze vertaling is automatisch gemaakt en is nog niet nagelezen.

## The error page.
not-answered = Niet beantwoord
choose-indicator = Kies een indicator
choose-breakdown = Kies een uitsplitsing
choose-series = Kies een reeks
choose-period = Kies een periode
back = Terug naar het dashboard

## /artefacts.
artefacts-title = Beleidsdocumenten
indicators-link = indicatoren
filter-city = Stad
filter-type = Type
filter-rights-area = Rechtendomein
filter-language = Taal
all = alle
library = Bibliotheek
col-type = type
col-title = titel
col-languages = talen
col-document-status = status van het document
col-version = versie in het log
col-verification = verificatie
col-document = document
signed-verified = ondertekend door { $city } (record { $seq }), SHA-256 { $hash }… geverifieerd
signed-not-fetched = ondertekend door { $city } (record { $seq }); document nog niet opgehaald
download = { $type } downloaden ({ $bytes } bytes)
policy-matrix = Beleidsmatrix
matrix-note = Huidige versies (niet vervangen en niet ingetrokken) van elk type, per stad.
n-current = { $count } actueel
state-current = actueel
state-superseded = vervangen
state-withdrawn = ingetrokken
type-digital_rights_charter = charter voor digitale rechten
type-policy = beleid
type-algorithm_register_entry = vermelding in het algoritmeregister
type-dpia = DPIA (gegevensbeschermingseffectbeoordeling)
type-procurement_clause_set = set aanbestedingsclausules
type-open_data_policy = opendatabeleid
type-capacity_building_module = module voor capaciteitsopbouw
rights-privacy_safety_security_protection = privacy, veiligheid, beveiliging en bescherming
rights-public_engagement_participation = publieke betrokkenheid en participatie
rights-public_goods_open_infrastructure = publieke goederen en open infrastructuur
rights-inclusion_equality_equity = inclusie, gelijkheid en billijkheid
rights-freedom_autonomy_control_self_determination = vrijheid, autonomie, controle en zelfbeschikking
rights-transparency_accountability = transparantie en verantwoording
rights-diversity_of_experience = diversiteit van ervaringen
status-draft = ontwerp
status-consultation = consultatie
status-adopted = aangenomen
status-in_force = van kracht
status-superseded = vervangen
status-repealed = opgeheven
status-retired = buiten gebruik

## De wijkkaart.
map = Kaart per wijk
map-none = Nog geen enkele stad heeft haar wijkgrenzen gepubliceerd.
map-title = { $indicator } per wijk
map-better = Donkerder wijken worden beter bediend; gearceerde wijken worden niet gepubliceerd.
map-higher = Donkerder wijken hebben hogere waarden; gearceerde wijken worden niet gepubliceerd.
map-withheld = niet gepubliceerd
map-no-data = geen gegevens
map-class = { $low } tot { $high }
map-unreadable = { $city }: de gepubliceerde wijkgrenzen konden niet worden gelezen ({ $error }).
col-district = wijk
col-name = naam
type-district_boundaries = wijkgrenzen (GeoJSON)

## Aanmelden.
sign-in = Aanmelden
sign-in-heading = Analistentoken
sign-in-intro = Het dashboard en de API van dit knooppunt staan open voor zijn analisten. Plak het token dat de datadienst van de stad u gaf; de browser bewaart een sessie gedurende { $hours } uur (of tot u zich afmeldt), en het token zelf wordt niet opgeslagen.
token = Token
signed-in-as = Aangemeld als { $name }.
continue = Doorgaan
sign-out = Afmelden
form-expired = Het formulier was verlopen of kwam van een andere site. Probeer het opnieuw.
token-unknown = Dat token is niet bekend bij dit knooppunt.
account = Aangemeld als { $name } · afmelden

## Column names of the plain CSV export with ?lang= (SDMX-CSV keeps its codes).
csv-indicator = indicator
csv-period = periode
csv-series = reeks
csv-level = niveau
csv-code = code
csv-value = waarde
csv-unit = eenheid
csv-margin_of_error_95 = foutmarge (95%)
csv-interval_low_95 = ondergrens (95%)
csv-interval_high_95 = bovengrens (95%)
csv-numerator = teller
csv-denominator = noemer
csv-status = status
csv-note = opmerking
