//! Português (Brasil). Termos que a AWS mantém em inglês (nomes de eventos e de campos, termos
//! da linguagem de consulta, IDs das regras) ficam como estão.

use super::{Said, SessionSaid, Texts, list_with, span_with};

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn more(k: usize) -> String {
    format!(" e mais {k}")
}

fn list(v: &[String]) -> String {
    list_with(v, "(nenhum)", more)
}

fn span(ms: i64) -> String {
    span_with(ms, "d")
}

fn explain(s: &Said) -> String {
    let subject = &s.subject;
    let within = s.within_ms.map(|ms| format!(" em {}", span(ms))).unwrap_or_default();
    let names = s.names.join(", ");
    let who = s.who.join(", ");
    match s.rule.as_str() {
        "failed-burst" => {
            format!("{subject}: {} tentativas de OpenTunnel negadas{within}, portas {}", s.n, list(&s.ports))
        }
        "unusual-port" => format!(
            "{subject}: {}{within} para a porta {} ({} aceitas), destinos {}",
            plural(s.n, "tentativa de OpenTunnel", "tentativas de OpenTunnel"),
            list(&s.ports),
            s.accepted,
            list(&s.targets)
        ),
        "many-targets" => format!(
            "{subject}: túneis aceitos para {} IPs privados{within} ({})",
            s.targets.len(),
            list(&s.targets)
        ),
        "root-activity" => format!(
            "{subject}: {} pelo usuário raiz da conta{within} ({names})",
            plural(s.n, "ação de EICE", "ações de EICE")
        ),
        "rdp" => format!(
            "{subject}: {}{within} para {}",
            plural(s.n, "túnel RDP aceito", "túneis RDP aceitos"),
            list(&s.targets)
        ),
        "off-hours" => format!(
            "{subject}: {}{within} fora do horário de trabalho (seg–sex {:02}:00–{:02}:00 UTC{}), o primeiro em {}",
            plural(s.n, "túnel aceito", "túneis aceitos"),
            s.day_start,
            s.day_end,
            s.offset,
            s.at.replacen('T', " ", 1)
        ),
        "no-key-push" => format!(
            "{subject}: {}{within} sem SendSSHPublicKey no minuto anterior (uma chave guardada na instância, ou outro acesso), para {}",
            plural(s.n, "túnel SSH aceito", "túneis SSH aceitos"),
            list(&s.targets)
        ),
        "trail-tampering" => format!(
            "conta {subject}: {}{within} ({names}) por {who}: o registro parou ou mudou, a atividade seguinte pode faltar",
            plural(s.n, "alteração da trilha", "alterações da trilha")
        ),
        "unknown-source" => format!(
            "{subject}: {}{within} de {names} fora da lista de permissões",
            plural(s.n, "tentativa de OpenTunnel", "tentativas de OpenTunnel")
        ),
        "new-source-ip" => format!(
            "{subject}: primeiro OpenTunnel de {} ({}), {} após o seu primeiro túnel nos dados; {} usados antes",
            s.ip,
            if s.failed { "negado" } else { "aceito" },
            span(s.span_ms),
            plural(s.n, "outro IP de origem", "outros IPs de origem")
        ),
        "short-lived-endpoint" => format!(
            "{subject}: criado em {}, usado por {}, excluído {} depois",
            s.at.replacen('T', " ", 1),
            plural(s.n, "túnel", "túneis"),
            span(s.span_ms)
        ),
        "client-ip-not-preserved" => format!(
            "{subject}: PreserveClientIp definido como false por {} ({who}); as instâncias veem o endereço do endpoint, não o do cliente",
            plural(s.n, "chamada", "chamadas")
        ),
        _ => format!("{subject}: {}", plural(s.n, "evento", "eventos")),
    }
}

fn session(s: &SessionSaid) -> String {
    let who = if s.who.is_empty() { "(desconhecido)" } else { s.who.as_str() };
    let mut t = format!("{who} → {} via {}, {}", s.target, s.endpoint, plural(u64::from(s.tunnels), "túnel", "túneis"));
    if s.failed > 0 {
        t.push_str(&format!(" ({} com falha)", s.failed));
    }
    t.push_str(&format!(", {} UTC", s.span));
    match &s.until {
        Some(u) => t.push_str(&format!(", pode ter durado até {u}")),
        None => t.push_str(", nunca aberta"),
    }
    t
}

fn rule_about(rule: &str) -> &'static str {
    match rule {
        "failed-burst" => "Tentativas repetidas de OpenTunnel negadas: alguém sondando endpoints, destinos ou portas que talvez não possa usar.",
        "unusual-port" => "OpenTunnel para uma porta que não é SSH (22) nem RDP (3389): um endpoint cria túneis para qualquer porta TCP, inclusive de bancos de dados.",
        "many-targets" => "Uma entidade principal alcançando muitos IPs privados em uma hora: o movimento lateral se parece com isso.",
        "root-activity" => "O usuário raiz da conta abriu túneis, enviou chaves ou alterou endpoints; o usuário raiz não deveria ser usado para isso.",
        "new-source-ip" => "Um túnel de uma entidade principal a partir de um IP de origem que ela não tinha usado, depois de um período de referência: credenciais roubadas são usadas de outro lugar.",
        "short-lived-endpoint" => "Um endpoint criado, usado e excluído em menos de um dia: um acesso montado e desmontado para deixar poucos rastros.",
        "client-ip-not-preserved" => "PreserveClientIp definido como false: as instâncias veem o endereço do endpoint, não o do cliente, e os seus próprios logs não dizem quem se conectou.",
        "rdp" => "Túneis aceitos para RDP (3389): acesso interativo ao Windows.",
        "off-hours" => "Túneis aceitos que começam fora do horário de trabalho (de segunda a sexta, no deslocamento UTC configurado).",
        "no-key-push" => "Túneis SSH aceitos sem SendSSHPublicKey logo antes: a conexão usou uma chave guardada na instância ou outro acesso.",
        "trail-tampering" => "O registro do CloudTrail parou ou mudou: o que vem depois pode faltar nestes logs.",
        "unknown-source" => "OpenTunnel de um IP de origem fora da lista de permissões configurada.",
        _ => "",
    }
}

fn query_help(term: &str, english: &'static str) -> &'static str {
    match term {
        "word" => "trecho, sem diferenciar maiúsculas, da entidade principal, do seu ARN, do nome do evento, do IP de origem, do agente de usuário, do ID do endpoint, do IP de destino ou do código de erro",
        "\"two words\"" => "uma frase entre aspas, comparada como uma palavra",
        "user:X" => "o nome ou o ARN da entidade principal contém X (sem diferenciar maiúsculas)",
        "ip:CIDR|IP" => "IP de origem no intervalo, IPv4 ou IPv6 (um nome de serviço como ec2.amazonaws.com nunca corresponde)",
        "target:CIDR|IP" => "IP privado de destino do túnel no intervalo",
        "port:N" => "túneis para a porta N",
        "endpoint:ID" => "túneis e atividade do endpoint que nomeiam esse endpoint",
        "event:NAME" => "nome do evento, exato (sem diferenciar maiúsculas)",
        "outcome:failed|accepted" => "eventos com / sem errorCode",
        "region:R" => "Região, exata (sem diferenciar maiúsculas)",
        "account:N" => "ID da conta, exato",
        "after:T" => "hora do evento >= T (UTC; 2026-10-01 ou RFC 3339 como 2026-10-01T10:00Z)",
        "before:T" => "hora do evento < T (UTC)",
        "active:T" => "túneis cujo [início, fim mais tardio possível] contém T",
        "session:ID" => "os túneis dessa sessão (ID: o ID de evento do seu primeiro túnel) e os envios de chave pareados com eles",
        "finding:RULE|any|ID" => "eventos de evidência das descobertas dessa regra (failed-burst, unusual-port, …), de qualquer descoberta, ou de uma descoberta pelo seu ID (failed-burst:EVENTID)",
        "severity:S" => "eventos de evidência das descobertas de uma severidade: severity:high, severity:medium, severity:low ou severity:info",
        "-term" => "exclui o que o termo seleciona; cada termo negado é uma condição própria (-port:22 mantém os eventos que não são túneis)",
        "NOT term" => "o mesmo que -term; NOT (…) e -(…) excluem um grupo",
        "key:\"a b\"" => "as aspas mantêm espaços, dois-pontos, parênteses e * num valor; \\\" e \\\\ escapam dentro das aspas",
        "key:A key:B" => "a mesma chave lado a lado: A ou B",
        "key:A other:B" => "chaves diferentes (e palavras separadas) lado a lado: A e B",
        "A OR B" => "um ou outro (OR em maiúsculas); AND tem precedência: a b OR c significa (a b) OR c",
        "A AND B" => "os dois, mesmo com a mesma chave: user:alice AND user:admin",
        "( … )" => "agrupa termos: (user:alice OR user:carol) port:22; um ( sem fechamento é um erro",
        "*" => "curinga nas palavras e em user: (em qualquer ponto do texto: ali*ce), event:, endpoint:, region:, account: (o valor inteiro: event:Describe*, region:eu-*); não em ip:/target: (use um intervalo CIDR), port:, outcome: nem nas horas",
        "or, and, not" => "em minúsculas são um erro, não uma palavra: escreva OR / AND / NOT, ou ponha a palavra entre aspas (\"or\")",
        _ => english,
    }
}

/// The query parser's messages, by their English words (what is not known stays English).
fn query_error(m: &str) -> String {
    const SAID: &[(&str, &str)] = &[
        ("this ) has no ( to close", "este ) não tem um ( para fechar"),
        ("this ( is never closed: add a )", "este ( nunca é fechado: acrescente um )"),
        ("unterminated quote: add a closing \"", "aspas sem fechamento: acrescente um \""),
        ("an operator needs a term before it", "um operador precisa de um termo antes"),
        (" needs a term before it", " precisa de um termo antes"),
        (" needs a term after it", " precisa de um termo depois"),
        ("a term is missing", "falta um termo"),
        ("empty parentheses", "parênteses vazios"),
        ("nothing to negate after -", "nada a negar depois de -"),
        ("empty search text", "texto de busca vazio"),
        ("unknown key ", "chave desconhecida "),
        ("(known keys: ", "(chaves conhecidas: "),
        (
            "user, ip, target, port, endpoint, event, outcome, region, account, after, before, active, session, finding, severity",
            "user:, ip:, target:, port:, endpoint:, event:, outcome:, region:, account:, after:, before:, active:, session:, finding:, severity:",
        ),
        ("; to search for the text, put it in quotes", "; para buscar o texto, ponha-o entre aspas"),
        (": needs a value", ": precisa de um valor"),
        ("not a port number", "não é um número de porta"),
        ("outcome is failed or accepted, not ", "outcome é failed ou accepted, não "),
        ("severity is high, medium, low or info, not ", "severity é high, medium, low ou info, não "),
        ("not an IP address or CIDR range: ", "não é um endereço IP nem um intervalo CIDR: "),
        ("not a time: ", "não é uma hora: "),
        (" or RFC 3339, UTC)", " ou RFC 3339, UTC)"),
        (" is not an operator in lower case: write ", " não é um operador em minúsculas: escreva "),
        (" is not an operator in this case: write ", " não é um operador nesta grafia: escreva "),
        (" to combine terms, or ", " para combinar termos, ou "),
        ("NOT (or -term) to exclude a term, or ", "NOT (ou -termo) para excluir um termo, ou "),
        (" in quotes to search for the word", " entre aspas para buscar a palavra"),
        (" negates nothing: to exclude the word, write ", " não nega nada: para excluir a palavra, escreva "),
        (" is not a rule or a finding ID (any, ", " não é uma regra nem o ID de uma descoberta (any, "),
        (", or RULE:EVENTID)", ", ou RULE:EVENTID)"),
    ];
    let mut out = m.to_owned();
    for (en, pt) in SAID {
        out = out.replace(en, pt);
    }
    out
}

/// The load report's usual reasons and notes, by their English start.
fn report_text(s: &str) -> String {
    const SAID: &[(&str, &str)] = &[
        ("empty file", "arquivo vazio"),
        ("not JSON or CSV", "não é JSON nem CSV"),
        ("not JSON", "não é JSON"),
        ("truncated", "truncado"),
        ("corrupt", "corrompido"),
        ("CloudTrail digest file", "arquivo de resumo (digest) do CloudTrail"),
        ("not CloudTrail", "não é CloudTrail"),
        ("an Amazon SNS notification of a CloudTrail delivery", "uma notificação do Amazon SNS de uma entrega do CloudTrail"),
        ("Elastic document without its CloudTrail record", "documento do Elastic sem o seu registro do CloudTrail"),
        ("OCSF record of class", "registro OCSF da classe"),
        ("_raw is not a JSON record", "_raw não é um registro JSON"),
    ];
    // Notes with a number first (issue 22's ID collisions).
    const INSIDE: &[(&str, &str)] = &[
        (
            " records reuse an event ID that a different loaded event has (another time, source or name): both are loaded; IDs",
            " registros reutilizam o ID de evento de outro evento carregado (outro horário, origem ou nome): os dois foram carregados; IDs",
        ),
        (
            " record reuses an event ID that a different loaded event has (another time, source or name): both are loaded; ID",
            " registro reutiliza o ID de evento de outro evento carregado (outro horário, origem ou nome): os dois foram carregados; ID",
        ),
    ];
    for (en, pt) in SAID {
        if let Some(rest) = s.strip_prefix(en) {
            return format!("{pt}{rest}");
        }
    }
    for (en, pt) in INSIDE {
        if s.contains(en) {
            return s.replacen(en, pt, 1);
        }
    }
    s.to_owned()
}

pub(super) static TEXTS: Texts = Texts {
    code: "pt-BR",
    name: "Português (Brasil)",
    serves: &["pt"],
    thousands: '.',
    decimal: ',',
    months: ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"],
    day_month: |d, m| format!("{d} {m}"),
    month_year: |m, y| format!("{m} {y}"),
    day_month_year: |d, m, y| format!("{d} {m} {y}"),

    tagline: "Túneis do EC2 Instance Connect Endpoint e alterações de endpoints a partir do CloudTrail, no seu navegador",
    load_sample: "Carregar dados de exemplo",
    clear: "Limpar",
    local_time: "hora local",
    utc: "UTC",
    theme_light: "claro",
    theme_dark: "escuro",
    theme_title: "tema claro ou escuro",
    time_title: "L",
    help_title: "?",
    language_label: "Idioma: ",
    language: "idioma",
    export_label: "Exportar a visão filtrada:",
    export_tunnels_csv: "túneis CSV",
    export_tunnels_json: "túneis JSON",
    export_events_csv: "eventos CSV",
    export_events_json: "eventos JSON",
    export_records: "registros brutos",
    export_sessions_csv: "sessões CSV",
    export_sessions_json: "sessões JSON",
    export_findings_csv: "descobertas CSV",
    export_findings_json: "descobertas JSON",
    no_eice: |events| {
        format!(
            "Estes arquivos não têm atividade do EC2 Instance Connect Endpoint: nenhum dos seus {events} é um OpenTunnel \
             nem uma criação, modificação, exclusão ou descrição de endpoint. Os eventos estão listados abaixo."
        )
    },
    link_other_files: |link_fp, fp| {
        format!(
            "Este link foi feito para outro conjunto de arquivos (impressão digital {link_fp}, carregados {fp}): \
             a visão foi restaurada, mas os resultados podem ser diferentes."
        )
    },
    engine_stopped: |message| {
        format!(
            "O mecanismo parou ({message}), provavelmente por falta de memória: o navegador guarda no máximo 4 GB por worker. \
             Tudo o que foi carregado se perdeu. A próxima carga inicia um mecanismo novo: carregue menos de uma vez \
             (`tunnelscope extract` mantém só os eventos relacionados ao EICE)."
        )
    },

    n_events: ("evento", "eventos"),
    n_files: ("arquivo", "arquivos"),
    n_tunnels: ("túnel", "túneis"),
    n_sessions: ("sessão", "sessões"),

    drop_hint: "Solte aqui exportações do CloudTrail (.json, .json.gz, NDJSON, lookup-events, EventBridge, CloudWatch Logs), ou ",
    choose_files: "escolha arquivos",
    or: " ou ",
    a_folder: "uma pasta",
    nothing_leaves: ". Nada sai do seu navegador.",

    idle: "Nenhum dado carregado. Solte arquivos ou carregue o exemplo.",
    loading: "Carregando…",
    loaded_from: |events, files| format!("{events} carregados de {files}"),
    cancelled_loaded: |events, files| {
        format!("Carga cancelada: {events} carregados de {files} (os arquivos lidos antes do cancelamento)")
    },
    finishing: "terminando…",
    time_left: |t| format!("faltam cerca de {t}"),
    estimating: "estimando…",
    read_events: |events| format!("{events} lidos"),
    cancel: "Cancelar",
    cancelling: "Cancelando…",
    cancel_title: "Parar a carga: os arquivos já lidos continuam carregados, o arquivo em leitura é descartado",
    progress_label: "progresso da carga",

    filter_placeholder: "Filtro: user:alice port:3389 ip:203.0.113.0/24 outcome:failed -event:DescribeInstanceConnectEndpoints (Enter aplica)",
    not_applied: "Não aplicado: ",
    at_character: |message, at| format!("{message} (no caractere {at})"),
    query_error,
    showing: "Mostrando: ",
    everything: "tudo (sem filtro)",

    stat_events: "eventos",
    stat_tunnels: "túneis",
    stat_failed_tunnels: "túneis com falha",
    stat_endpoints: "endpoints",
    stat_principals: "entidades principais",
    stat_source_ips: "IPs de origem",
    stat_sessions: "sessões",
    stat_findings: "descobertas",
    accounting: |[r, s, j, l, d, i]| {
        format!(
            "arquivos: {r} lidos, {s} ignorados, {j} rejeitados · registros: {l} carregados, {d} duplicados, {i} inválidos"
        )
    },

    findings_title: |k| format!("Descobertas ({k})"),
    severity: |s| match s {
        "high" => "alta",
        "medium" => "média",
        "low" => "baixa",
        _ => "informativa",
    },
    severity_chip_title: |s| format!("mostrar a evidência das descobertas de severidade {s}"),
    newest_first: "mais recentes primeiro (mostrar as mais graves primeiro)",
    most_severe_first: "mais graves primeiro (mostrar as mais recentes primeiro)",
    no_findings: "Nenhuma descoberta nesta visão.",
    evidence_line: |k, first, last| {
        format!(
            "{k} evento(s) de evidência de {first} a {last}; a linha do tempo e as tabelas abaixo os mostram. Assunto: "
        )
    },
    subject: "Assunto: ",
    finding: "descoberta",
    rule_settings: "Configurações das regras",
    changed: |k| format!(" ({k} alteradas)"),
    settings_help: |rules| format!("Um RULE.PARAM=VALUE por linha: {}. Regras: {rules}.", TEXTS.params),
    params: "RULE.window (uma duração: 10m, 1h), RULE.min (uma contagem), RULE.enabled (true|false), \
new-source-ip.baseline, short-lived-endpoint.max_life, off-hours.offset (+HH:MM), off-hours.start e \
off-hours.end (horas 0-24), unknown-source.allow (CIDRs separados por vírgulas)",
    for_example: "Por exemplo: ",
    settings_label: "configurações das descobertas",
    apply: "aplicar",
    rule_about,
    explain,

    sessions_title: |k| format!("Sessões ({k})"),
    gap: "intervalo ",
    gap_title: "Um túnel entra numa sessão quando começa no máximo este tempo depois do fim mais tardio possível da sessão (10m, 90s, 1h30m). Enter aplica.",
    gap_label: "intervalo entre sessões",
    sessions_hint: "os túneis de uma pessoa de um IP de origem, por um endpoint, para um destino e porta, reunidos enquanto cada um começa dentro do intervalo; clique numa sessão para abri-la",
    no_sessions: "Nenhuma sessão corresponde.",
    start: |local| if local { "início (local)" } else { "início (UTC)" },
    last_start: "último início",
    latest_end: "fim mais tardio",
    latest_end_title: "o máximo que os seus túneis podem ter durado",
    principal: "entidade principal",
    source_ip: "IP de origem",
    endpoint: "endpoint",
    target: "destino",
    tunnels: "túneis",
    failed: "com falha",
    instance: "instância",
    session_summary: |id, tunnels, accepted, failed, account, region| {
        format!(
            "Sessão {id} · {} · {accepted} {} · {failed} com falha · conta {account} · {region}",
            plural(tunnels, "túnel", "túneis"),
            if accepted == 1 { "aceito" } else { "aceitos" }
        )
    },
    instances_label: "Instâncias: ",
    not_paired: "não pareadas",
    os_users_label: " · usuários do SO: ",
    unknown: "desconhecido",
    tunnels_label: "Túneis: ",
    session_note: "As tabelas abaixo mostram os túneis desta sessão e os envios de chave pareados com eles; o detalhe mostra o que a entidade principal fez em torno do primeiro túnel.",
    as_user: |instance, user| format!("{instance} como {user}"),
    read_from: "lido de",
    read_from_value: |from, lossy| {
        let source = match from {
            "ocsf" => "OCSF (Amazon Security Lake), convertido de volta",
            "logstash" => "um registro enviado pelo Logstash (eventTime tirado de @timestamp)",
            "console-csv" => "uma linha do CSV do histórico de eventos do console",
            "query-row" => "uma linha do Athena / CloudTrail Lake",
            "lookup-summary" => "um resumo do lookup-events",
            other => other,
        };
        if lossy.is_empty() { source.to_owned() } else { format!("{source}; sem: {}", lossy.join(", ")) }
    },

    previous: "◀ anterior",
    next: "próxima ▶",
    rows_of: |a, b, total| format!("linhas {a}–{b} de {total}"),

    timeline: "Linha do tempo",
    lanes_by: "faixas por ",
    grouping: |g| match g {
        "endpoint" => "endpoint",
        "target" => "destino",
        "principal" => "entidade principal",
        _ => "IP de origem",
    },
    sublabel: |s| s.replace(" as ", " como ").replace(" more", " mais"),
    timeline_hint: "roda ou W/S: aproximar e afastar · arrastar ou A/D: mover · 0 restaura · clique seleciona · uma barra por sessão, um traço por túnel, aproxime para abrir as sessões em túneis · as barras esmaecem até o fim mais tardio possível; hachurado = duração máxima presumida; × = com falha (nunca aberto); sobreposições empilham · faixa sob o eixo: descobertas",
    timeline_empty: "Carregue dados para ver a linha do tempo.",
    canvas_findings: "Descobertas",
    canvas_endpoints: "Endpoints (criação → exclusão)",
    sessions_by: |g| format!("Sessões por {g}"),
    tunnels_by: |g| format!("Túneis por {g}"),
    port_n: |p| format!(" porta {p}"),
    tip_failed: |label, at| format!("{label}\ntentativa com falha (nunca aberta)\nem {at}"),
    tip_accepted: |label, start, end, assumed| {
        format!(
            "{label}\naceito (não prova uma conexão)\ninício {start}\nfim mais tardio {end}{}",
            if assumed { ", duração máxima presumida" } else { "" }
        )
    },
    event_n: |id| format!("\nevento {id}"),
    tip_lane: |tunnels, failed| format!("\n{tunnels} túneis ({failed} com falha)"),
    tip_stacked: |rows| format!("\ntúneis sobrepostos empilhados em {rows} linhas"),
    tip_overdrawn: |k| format!("\n{k} desenhados sobre outros (mais sobreposição que linhas)"),
    tip_session: session,
    unknown_paren: "(desconhecido)",

    endpoints_title: |k| format!("Endpoints ({k})"),
    create_requested: |at| format!("criação solicitada {at}"),
    by: |who| format!(" por {who}"),
    created_before: |first| format!("criado antes do início dos dados (visto primeiro {first})"),
    created_before_short: "criado antes do início dos dados",
    delete_requested: |at| format!("exclusão solicitada {at}"),
    not_deleted: |last| format!("não excluído nos dados (visto por último {last})"),
    not_deleted_short: "não excluído nos dados",
    not_in_data: "não consta nos dados",
    modify_requests: |k| format!("{k} solicitação(ões) de modificação"),
    describe_calls: |k| format!("{k} chamada(s) de descrição"),
    usage: |tunnels, failed, a, b| format!("{tunnels} ({failed} com falha), primeiro {a}, último {b}"),
    no_tunnels: "nenhum túnel",
    security_groups: "grupos de segurança: ",
    ip_address_type: "tipo de endereço IP: ",
    tunnels_failed: |t, f| format!("\n{t} túneis ({f} com falha)"),
    endpoint_activity: |k| format!("Atividade dos endpoints ({k})"),
    op: |op| match op {
        "create" => "criação solicitada",
        "modify" => "modificação solicitada",
        "delete" => "exclusão solicitada",
        "describe" => "descrição",
        _ => "",
    },
    change: "alteração",
    region: "Região",
    details: "detalhes",
    no_endpoint_activity: "Nenhuma criação, modificação, exclusão ou descrição de endpoint corresponde.",

    tunnels_title: |k| format!("Túneis ({k})"),
    time: |local| if local { "hora (local)" } else { "hora (UTC)" },
    target_ip: "IP de destino",
    port: "porta",
    max_duration: "duração máxima",
    outcome: "resultado",
    accepted: "aceito",
    failed_with: |code| format!("falhou: {code}"),
    ambiguous: "ambíguo",
    no_tunnels_match: "Nenhum evento OpenTunnel corresponde.",
    assumed_short: " (presumida)",
    all_endpoints: "(todos)",
    events_title: |k| format!("Eventos ({k})"),
    eice_only: " só os relacionados ao EICE",
    event_name: "nome do evento",
    event_source: "origem do evento",
    error: "erro",
    filter_by: |key| format!("filtrar por {key}:"),

    selected_event: "Evento selecionado",
    close: "fechar",
    detail_missing: |id| {
        format!(
            "Nenhum evento carregado tem o ID {id}: o link foi feito para outros arquivos, ou o arquivo que o contém não está carregado."
        )
    },
    loading_event: "Carregando o evento…",
    latest_possible_end: "fim mais tardio possível",
    accepted_long: "aceito (autorizado; não prova que uma conexão chegou à instância)",
    assumed: " (presumida: ausente da solicitação, ou não é um número inteiro)",
    outside_eice: " (fora do que o EICE aceita, de 1 s a 1 h: o fim mais tardio é no máximo 1 h depois)",
    pairing: |p| match p {
        "key-push" => "por um SendSSHPublicKey logo antes",
        "ip-inventory" => "pelo inventário de instâncias nos dados",
        "ambiguous" => "ambíguo: vários candidatos",
        _ => "desconhecido",
    },
    user_agent: "agente de usuário",
    region_account: "Região / conta",
    event_id: "ID do evento",
    related_events: "Eventos relacionados",
    relation: |r| {
        match r {
            "key push" => "envio de chave",
            "paired tunnel" => "túnel pareado",
            "endpoint lifecycle" => "ciclo de vida do endpoint",
            "same principal ±5 min" => "mesma entidade principal ±5 min",
            other => other,
        }
        .to_owned()
    },
    copy: "copiar",
    raw_record: "Registro bruto",
    no_related: "Nenhum evento relacionado.",

    histogram_label: "Eventos ao longo do tempo. Arraste, ou use as setas, para selecionar uma janela de tempo (Shift+setas a redimensionam, + e - aproximam e afastam, Escape limpa).",
    window_is: |a, b| format!("janela: {a} → {b}"),
    show_all_time: "mostrar todo o período",
    window_hint: "Arraste sobre o histograma (ou dê foco a ele e use as setas) para selecionar uma janela de tempo.",

    coverage: |accounts, regions, first, last, gaps, changes| {
        format!(
            "Cobertura: {accounts} conta(s), {regions} Região(ões), {first} → {last}, {gaps} lacuna(s), {changes} alteração(ões) da trilha"
        )
    },
    accounts: "Contas: ",
    regions: "Regiões: ",
    days_with_events: "Dias com eventos: ",
    events_on_day: |k| format!("{k} eventos"),
    no_events_on: "Sem eventos em: ",
    trail_changes: "Alterações da trilha (o registro pode ter parado):",
    trail_change: |at, name, who, region| format!("{at} {name} por {who} ({region})"),
    load_report: |files, read, skipped, rejected| {
        format!("Relatório de carga: {files}, {read} lidos, {skipped} ignorados, {rejected} rejeitados")
    },
    file_status: |s| match s {
        "read" => "lido",
        "skipped" => "ignorado",
        _ => "rejeitado",
    },
    file_counts: |l, d, i| format!("{l} carregados, {d} duplicados, {i} inválidos"),
    show_all_files: |k| format!("mostrar todos os {k} arquivos"),
    report_text,

    export_kind: |k| match k {
        "tunnels-csv" => "túneis em CSV",
        "tunnels-json" => "túneis em JSON",
        "events-csv" => "eventos em CSV",
        "events-json" => "eventos em JSON",
        "records" => "registros brutos",
        "sessions-csv" => "sessões em CSV",
        "sessions-json" => "sessões em JSON",
        "findings-csv" => "descobertas em CSV",
        _ => "descobertas em JSON",
    },
    exporting: |what| format!("Exportando {what}:"),
    export_of: |what| format!("Exportação de {what}"),
    export_waiting: "aguardando o mecanismo (uma carga em andamento termina antes)…",
    export_cancel_title: "Parar a exportação: nada é baixado",
    mb_of: |a, b| format!("{a} de {b}"),
    export_rows: |done, total, noun| {
        let noun = match noun {
            "tunnels" => "túneis",
            "events" => "eventos",
            "records" => "registros",
            "sessions" => "sessões",
            _ => "descobertas",
        };
        format!("{done} de {total} {noun}")
    },

    shortcuts: "Atalhos",
    help_label: "Atalhos de teclado e linguagem de consulta",
    keys: [
        "focar o filtro",
        "esta ajuda",
        "fechar o painel de detalhe / a ajuda",
        "aproximar / afastar a linha do tempo (clique nela antes)",
        "mover a linha do tempo para a esquerda / direita",
        "restaurar a escala da linha do tempo",
        "UTC / hora local",
    ],
    query_language: "Linguagem de consulta",
    query_rules: "Chaves diferentes se combinam com AND, a mesma chave repetida com OR, -termo nega. Use aspas em valores com espaços.",
    query_help,
};
