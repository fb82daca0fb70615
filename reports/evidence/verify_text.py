"""VERIFY.txt: the exact public commands that check a packet, with what each proves.

Lines starting with `$ ` are commands, run with bash from the directory the packet was
unpacked into, with PACKET set to the packet file's path; the tests run them verbatim.
"""

from __future__ import annotations

from reports.evidence import layout

COMMAND_PREFIX = "$ "


def render(*, packet_name: str, fingerprint: str, has_timestamp: bool,
           has_tsa_ca: bool, custody_signers: list[str]) -> bytes:
    """`custody_signers`: the key fingerprint of each custody line as of this export (the
    export's own line last); later lines are handovers, signed by whoever made them."""
    p = COMMAND_PREFIX
    lines = [
        "证据包核验说明（VERIFY.txt）",
        "============================",
        "",
        f"证据包：{packet_name}",
        "以下每一步只用公开工具（unzip、sha256sum、openssl、jq、wacz、warcio），",
        "任何一步失败即说明证据包被改动或不完整。",
        "命令在 bash 中、于解包目录内执行；先设置 PACKET 为证据包文件的路径：",
        "",
        f"  export PACKET=/path/to/{packet_name}",
        "  mkdir packet && cd packet",
        "",
        "0. 解包（WACZ 即 ZIP 文件）",
        f'{p}unzip -q -o "$PACKET"',
        "",
        "1. 文件固定清单（电子数据提取固定清单）：逐个文件核对 SHA-256",
        f"{p}sha256sum -c --strict {layout.MANIFEST}",
        "",
        "2. 签名公钥指纹：输出应为下面这个值，并须与移送函或导出方另行提供的指纹一致；",
        "   包内的公钥只证明包内自洽，签名者身份只能以包外取得的指纹为准",
        f"   {fingerprint}",
        f"{p}openssl pkey -pubin -in {layout.PUBLIC_KEY} -outform DER | sha256sum"
        f" | grep -q '^{fingerprint} ' && echo 'fingerprint OK'",
        "",
        "3. Ed25519 签名：清单（MANIFEST.sha256）与封存清单（SEAL.sha256）均由上述密钥签名",
        f"{p}openssl pkeyutl -verify -pubin -inkey {layout.PUBLIC_KEY} -rawin"
        f" -in {layout.MANIFEST} -sigfile {layout.SIGNATURE}",
        f"{p}openssl pkeyutl -verify -pubin -inkey {layout.PUBLIC_KEY} -rawin"
        f" -in {layout.SEAL} -sigfile {layout.SEAL_SIGNATURE}",
        "",
        "4. 封存清单：清单之后生成的文件（签名、时间戳、封面、本说明）的 SHA-256",
        f"{p}sha256sum -c --strict {layout.SEAL}",
        "",
        "   证据包内不得有清单之外的文件：包内文件列表须恰为固定清单、封存清单所列文件，",
        "   加上封存清单及其签名与随移交更新的保管链、WACZ 元数据（datapackage*.json）",
        f"{p}{_members_command()}",
        "",
    ]
    if has_timestamp:
        # The CA is taken from outside the packet: a forger could ship a CA of their own.
        lines += [
            "5. 可信时间戳（RFC 3161）：时间戳覆盖 MANIFEST.sha256；第一条命令显示时间与机构",
            f"{p}openssl ts -reply -in {layout.TIMESTAMP} -text",
            "   核验证书链须使用时间戳机构公布的根证书（向机构获取），不得以包内副本作为"
            "信任依据" + (f"（{layout.TSA_CA} 仅供对照）" if has_tsa_ca else "")
            + "；先设置 TSA_CA 为该根证书的路径：",
            "   export TSA_CA=/path/to/tsa-root.pem",
            f'{p}openssl ts -verify -in {layout.TIMESTAMP} -data {layout.MANIFEST}'
            ' -CAfile "$TSA_CA"',
        ]
    else:
        lines += ["5. 可信时间戳：导出时未配置时间戳服务（CERTWATCH_TSA_URL），本包无时间戳。"]
    lines += [
        "",
        "6. WACZ 格式与其中每个文件的哈希（py-wacz）",
        f'{p}wacz validate -f "$PACKET"',
        "",
        "7. WARC 记录（抓取时保存的原始数据）的完整性摘要",
        f"{p}warcio check -v archive/*.warc.gz",
        "",
        "8. 保管链（custody/custody.jsonl）：每条记录的哈希、前后链接、最新记录中的文件哈希",
        f"{p}diff <(jq -r '.hash' {layout.CUSTODY}) <(jq -cS 'del(.hash, .sig)' "
        f"{layout.CUSTODY}"
        " | while IFS= read -r e; do printf '%s' \"$e\" | sha256sum | cut -d' ' -f1; done)"
        " && echo 'custody hashes OK'",
        f"{p}diff <(jq -r '.prev' {layout.CUSTODY}) <(echo null; jq -r '.hash' {layout.CUSTODY}"
        " | head -n -1) && echo 'custody chain OK'",
        f"{p}jq -rs '.[-1].after | to_entries[] | \"\\(.value)  \\(.key)\"' {layout.CUSTODY}"
        " | sha256sum -c --strict",
        "",
        "   每条记录的 sig 为记录人密钥对 hash 的 Ed25519 签名（signer_key 为其公钥）；",
        "   下一条命令逐条核对签名，任何一条不符即失败：",
        f"{p}{_custody_signatures_command()}",
        f"   本包导出时保管链共 {len(custody_signers)} 条，均须由下列指纹的密钥签名"
        "（逐行对应）：",
        *[f"   第 {n} 条：{fp}" for n, fp in enumerate(custody_signers, 1)],
        f"{p}{_custody_signers_command(custody_signers)}",
        f"   第 {len(custody_signers)} 条之后的记录为导出后的移交，由移交人的密钥签名；"
        "下一条命令列出每条的",
        "   序号、动作、记录人与密钥指纹，移交人的指纹须与其另行提供的一致：",
        f"{p}{_custody_table_command()}",
        "",
        "也可用 certwatch 一次完成以上全部检查（指纹为包外取得的导出方指纹；",
        "时间戳证书链另需设置 CERTWATCH_TSA_CA 为机构根证书）：",
        f"  certwatch evidence verify {packet_name} --key-fingerprint {fingerprint}",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _members_command() -> str:
    # sha256sum lines are `<64 hex>  <path>`: the path starts at column 67.
    fixed = " ".join((layout.SEAL, layout.SEAL_SIGNATURE, *layout.MUTABLE))
    return ('diff <(unzip -Z1 "$PACKET" | LC_ALL=C sort) <({ cut -c67- '
            f"{layout.MANIFEST} {layout.SEAL}; printf '%s\\n' {fixed}; }} | LC_ALL=C sort)"
            " && echo 'members OK'")


# openssl's one-shot Ed25519 verify needs regular files (it sizes its input first), so each
# line's key, signed bytes (the ASCII `hash`, no newline) and signature go to a temp dir.
def _custody_signatures_command() -> str:
    return ("(t=$(mktemp -d); trap 'rm -rf \"$t\"' EXIT; n=0; "
            f"jq -c '[.signer_key, .hash, .sig]' {layout.CUSTODY} | while IFS= read -r e; do "
            "n=$((n+1)); jq -r '.[0]' <<<\"$e\" >\"$t/key.pem\"; "
            "jq -j '.[1]' <<<\"$e\" >\"$t/signed\"; "
            "jq -r '.[2]' <<<\"$e\" | base64 -d >\"$t/sig\" && openssl pkeyutl -verify "
            "-pubin -inkey \"$t/key.pem\" -rawin -in \"$t/signed\" -sigfile \"$t/sig\" "
            ">/dev/null || { echo \"custody line $n: bad signature\" >&2; exit 1; }; done)"
            " && echo 'custody signatures OK'")


_FINGERPRINTS = ("while IFS= read -r k; do jq -r . <<<\"$k\" | openssl pkey -pubin "
                 "-outform DER | sha256sum | cut -d' ' -f1; done")


def _custody_signers_command(signers: list[str]) -> str:
    expected = (f"yes {signers[0]} | head -n {len(signers)}" if len(set(signers)) == 1
                else f"printf '%s\\n' {' '.join(signers)}")
    return (f"diff <(jq -c '.signer_key' {layout.CUSTODY} | head -n {len(signers)} | "
            f"{_FINGERPRINTS}) <({expected}) && echo 'custody signers OK'")


def _custody_table_command() -> str:
    return (f"paste <(jq -r '\"\\(.seq)\\t\\(.action)\\t\\(.who)\"' {layout.CUSTODY}) "
            f"<(jq -c '.signer_key' {layout.CUSTODY} | {_FINGERPRINTS})")


def commands(text: str) -> list[str]:
    return [line[len(COMMAND_PREFIX):] for line in text.splitlines()
            if line.startswith(COMMAND_PREFIX)]
