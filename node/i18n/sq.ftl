## Albanian. Machine translation, to be reviewed by a native speaker: `meta-review = machine` marks it.

language-name = Shqip
choose-language = Gjuha
title = Përfshirja digjitale metropolitane
skip-to-content = Kalo te shifrat

## The picker.
indicator = Treguesi
breakdown = Ndarja sipas
series = Seria
period = Periudha
show = Shfaq
latest-comparable = më e fundit e krahasueshme
period-partial = { $period } (të dhëna të pjesshme: { $cities })
headline-series = kryesore

## Sections.
metro-value = Vlera metropolitane
cities = Qytetet krah për krah
gap = Hendeku ndërmjet grupeve
trend = Tendenca
coverage = Mbulimi
provenance = Origjina: nga vjen çdo shifër
federation = Gjendja e federatës
no-data = Këtu nuk ruhet ende asnjë publikim i këtij treguesi.

## Values.
withheld = nuk publikohet
withheld-why = nuk publikohet ({ $why })
low-reliability = besueshmëri e ulët
no-margin = gabimi i kampionimit nuk është publikuar; nuk është shtuar zhurmë
interval = { $value } (intervali 95%: nga { $low } deri në { $high })
interval-clipped = { $value } (intervali 95%: nga { $low } deri në { $high }; i kufizuar në diapazonin e vlefshëm)
clipped = { $value } (i kufizuar në diapazonin e vlefshëm)
unit-percent = { $value }%
unit-per-100 = { $value } për 100
unit-per-10000 = { $value } për 10 000
percentage-points = { $value } pikë përqindjeje
cities-included = { $count ->
    [one] { $count } qytet i përfshirë
   *[other] { $count } qytete të përfshira
}
newer-partial = Për { $period } kanë publikuar deri tani vetëm { $cities }; nuk është i krahasueshëm me { $current }:
show-partial = shfaq { $period } (të dhëna të pjesshme)
by-dimension = { $indicator }, sipas: { $dimension }

## Tables.
col-city = qyteti
col-value = vlera
col-cities-included = qytetet e përfshira
col-withheld-in = nuk publikohet në
col-period = periudha
col-cities = qytetet
col-origin = origjina
col-log-record = hyrja në regjistër
col-record-hash = hash-i i hyrjes
col-signer = nënshkruesi
col-method = metoda
col-member = anëtari
col-reachable = i arritshëm
col-last-sync = sinkronizimi i fundit
col-records = hyrjet
col-lag = vonesa
col-flags = sinjalizimet
log-record-help = Hyrja në regjistër është një shënim i nënshkruar në regjistrin publik të një qyteti, ku shënimet vetëm shtohen; numri i saj tregon pozicionin e saj në të.

## The gap between groups.
no-gap-groups = Nuk ka mjaftueshëm grupe të publikuara për të matur hendekun.
tied = { $names } (në barazim)
list-and = { $first } dhe { $second }
gap-all-tied = Të gjitha ({ $count }) kanë vlerën { $value }: nuk ka hendek.
gap-indistinct = Vlera më e lartë: { $highest } ({ $high }); vlera më e ulët: { $lowest } ({ $low }). Diferenca prej { $difference } është brenda marzhit të gabimit 95% (± { $margin }): nuk dallohet në nivelin 95%, prandaj asnjëri nuk quhet më i miri ose më i keqi.
gap-neutral = Vlera më e lartë: { $highest } ({ $high }); vlera më e ulët: { $lowest } ({ $low }); diferencë prej { $difference }. Për këtë tregues asnjë drejtim nuk është më i mirë, prandaj asnjëri nuk quhet më i miri ose më i keqi.
gap-ranked = { $served ->
    [yes] Shërbimi më i mirë: { $best } ({ $bestvalue }); shërbimi më i dobët: { $worst } ({ $worstvalue }).
   *[no] Rezultati më i mirë: { $best } ({ $bestvalue }); rezultati më i dobët: { $worst } ({ $worstvalue }).
} Hendeku { $difference }; vlera më e ulët është sa { $ratio } herë vlera më e lartë.
gap-ranked-margin = { $served ->
    [yes] Shërbimi më i mirë: { $best } ({ $bestvalue }); shërbimi më i dobët: { $worst } ({ $worstvalue }).
   *[no] Rezultati më i mirë: { $best } ({ $bestvalue }); rezultati më i dobët: { $worst } ({ $worstvalue }).
} Hendeku { $difference }, përtej marzhit të gabimit 95% (± { $margin }); vlera më e ulët është sa { $ratio } herë vlera më e lartë.

## Trend.
trend-open-points = Pikat e zbrazëta mbulojnë qytete të tjera nga ato të { $period }, prandaj nuk bashkohen me vijë: { $others }.

## Coverage.
included = Të përfshira: { $cities }.
missing = Mungojnë: { $cities }.
none = asnjë
not-yet-published = { $city }: ende pa publikuar për { $period } (publikimi i fundit: { $latest })
stale = { $city }: të dhëna të vjetëruara, { $reason }
stale-since = { $city }: të dhëna të vjetëruara, { $reason }, sinkronizimi i fundit para { $seconds } s
flag-included = { $city }: përfshihet sipas cilësimit të kësaj nyjeje, megjithëse regjistri i tij përmban prova për { $evidence }
flag-excluded = { $city }: përjashtohet nga të gjitha vlerat: regjistri i tij përmban prova për { $evidence }
suppressed-cells = { $count } qeliza të fshehura në publikimet e përdorura (nuk publikohen dhe nuk plotësohen kurrë).
post-processing = Vlerat e shfaqura të publikimeve me zhurmë: raporti i shumave të publikuara, i zhvendosur në diapazonin e vlefshëm (nga 0 deri në 100% për një përqindje, jonegativ për një normë), me intervalin 95% të kufizuar në të njëjtën mënyrë; përpunim i mëvonshëm i asaj që është publikuar, pa kosto shtesë për privatësinë. Numëruesit dhe emëruesit shfaqen siç janë publikuar.

## Federation health.
this-node = kjo nyje
seconds-ago = para { $seconds } s
never = kurrë
yes = po
no = jo

## Footer.
footer-data = Të dhënat: publikime të nënshkruara, të verifikuara në këtë nyje; çdo regjistër në formatet C2SP në adresën
footer-export = Eksportoni atë që shfaqet:
proof-bundle = paketa e provave
footer-verify = verifikojeni jashtë linje me
machine-translation = Ky përkthim është bërë me makinë dhe ende nuk është rishikuar.

## The error page.
not-answered = Pa përgjigje
choose-indicator = Zgjidhni një tregues
choose-breakdown = Zgjidhni një ndarje
choose-series = Zgjidhni një seri
choose-period = Zgjidhni një periudhë
back = Kthehuni te paneli

## /artefacts.
artefacts-title = Dokumentet e politikave
indicators-link = treguesit
filter-city = Qyteti
filter-type = Lloji
filter-rights-area = Fusha e të drejtave
filter-language = Gjuha
all = të gjitha
library = Biblioteka
col-type = lloji
col-title = titulli
col-languages = gjuhët
col-document-status = statusi i dokumentit
col-version = versioni në regjistër
col-verification = verifikimi
col-document = dokumenti
signed-verified = nënshkruar nga { $city } (hyrja { $seq }), SHA-256 { $hash }… i verifikuar
signed-not-fetched = nënshkruar nga { $city } (hyrja { $seq }); dokumenti nuk është shkarkuar ende
download = shkarko { $type } ({ $bytes } bajte)
policy-matrix = Matrica e politikave
matrix-note = Versionet aktuale (as të zëvendësuara, as të tërhequra) të çdo lloji, për secilin qytet.
n-current = { $count } aktuale
state-current = aktual
state-superseded = i zëvendësuar
state-withdrawn = i tërhequr
type-digital_rights_charter = kartë e të drejtave digjitale
type-policy = politikë
type-algorithm_register_entry = hyrje në regjistrin e algoritmeve
type-dpia = DPIA (vlerësim i ndikimit në mbrojtjen e të dhënave)
type-procurement_clause_set = grup klauzolash prokurimi
type-open_data_policy = politikë e të dhënave të hapura
type-capacity_building_module = modul për ngritjen e kapaciteteve
rights-privacy_safety_security_protection = privatësia, siguria personale, siguria informatike dhe mbrojtja
rights-public_engagement_participation = angazhimi publik dhe pjesëmarrja
rights-public_goods_open_infrastructure = të mirat publike dhe infrastruktura e hapur
rights-inclusion_equality_equity = përfshirja, barazia dhe paanësia
rights-freedom_autonomy_control_self_determination = liria, autonomia, kontrolli dhe vetëvendosja
rights-transparency_accountability = transparenca dhe llogaridhënia
rights-diversity_of_experience = diversiteti i përvojave
status-draft = projekt
status-consultation = në konsultim
status-adopted = i miratuar
status-in_force = në fuqi
status-superseded = i zëvendësuar
status-repealed = i shfuqizuar
status-retired = jashtë përdorimit

## Harta sipas njësive.
map = Harta sipas njësive administrative
map-none = Asnjë qytet nuk ka publikuar ende kufijtë e njësive të tij.
map-title = { $indicator } sipas njësisë administrative
map-better = Njësitë më të errëta shërbehen më mirë; ato me vija nuk publikohen.
map-higher = Njësitë më të errëta kanë vlera më të larta; ato me vija nuk publikohen.
map-withheld = e pa publikuar
map-no-data = pa të dhëna
map-class = nga { $low } deri në { $high }
map-unreadable = { $city }: kufijtë e publikuar të njësive nuk mund të lexoheshin ({ $error }).
col-district = njësia
col-name = emri
type-district_boundaries = kufijtë e njësive administrative (GeoJSON)

## Hyrja.
sign-in = Hyr
sign-in-heading = Tokeni i analistit
sign-in-intro = Paneli dhe API i kësaj nyjeje janë të hapura për analistët e saj. Ngjitni tokenin që ju dha zyra e të dhënave e qytetit; shfletuesi mban një seancë për { $hours } orë (ose derisa të dilni), dhe vetë tokeni nuk ruhet.
token = Tokeni
signed-in-as = Keni hyrë si { $name }.
continue = Vazhdo
sign-out = Dil
form-expired = Formulari kishte skaduar ose vinte nga një sajt tjetër. Ju lutemi provoni përsëri.
token-unknown = Ky token nuk njihet nga kjo nyje.
account = Keni hyrë si { $name } · dil

## Column names of the plain CSV export with ?lang= (SDMX-CSV keeps its codes).
csv-indicator = treguesi
csv-period = periudha
csv-series = seria
csv-level = niveli
csv-code = kodi
csv-value = vlera
csv-unit = njësia
csv-margin_of_error_95 = marzhi i gabimit (95%)
csv-interval_low_95 = kufiri i poshtëm (95%)
csv-interval_high_95 = kufiri i sipërm (95%)
csv-numerator = numëruesi
csv-denominator = emëruesi
csv-status = statusi
csv-note = shënim
