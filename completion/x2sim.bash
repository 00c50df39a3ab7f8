# SPDX-License-Identifier: GPL-2.0-only
# bash completion for x2sim: commands, each command's options, and the
# values x2sim can name (fastpaths, configurations, sweeps, exits).
_x2sim()
{
	local cur prev cmd opts
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=${COMP_WORDS[1]}

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "decode demo fastpaths verify merge extract case replay run bench version --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--fastpath | --diff)
		COMPREPLY=($(compgen -W "$(x2sim fastpaths 2>/dev/null | awk '{print $1}') none" -- "$cur"))
		return ;;
	--configs)
		COMPREPLY=($(compgen -W "list $(x2sim verify --configs list 2>/dev/null | awk '{print $1}')" -- "$cur")
			   $(compgen -f -- "$cur"))
		return ;;
	--sweep)
		COMPREPLY=($(compgen -W "icr exits msr all icr,exits" -- "$cur"))
		return ;;
	--contract)
		COMPREPLY=($(compgen -W "single-target" -- "$cur"))
		return ;;
	--exit)
		COMPREPLY=($(compgen -W "wrmsr rdmsr wrmsr-imm rdmsr-imm hlt invd preemption-timer interrupt-window nmi-window external-interrupt triple-fault apic-read apic-write cpuid io-in io-out" -- "$cur"))
		return ;;
	--kernel | --save)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--cpu)
		COMPREPLY=($(compgen -W "+x2apic -x2apic +tsc-deadline -tsc-deadline phys-bits=" -- "$cur"))
		return ;;
	--plugin | --diff-plugin | --patch | --kernel-source | --config | --json | -o | --output | --image | --console)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	case $cmd in
	verify) opts="--fastpath --plugin --kernel --patch --kernel-source --kvm-version --cc --sweep --reduced --configs --config --contract --threads --shard --shard-index --shard-count --max-counterexamples --save --json --case-timeout --findings-exit-status --help" ;;
	merge) opts="--json --findings-exit-status --help" ;;
	case) opts="--config --sender --wrmsr --exit --reg --fastpath --plugin --kernel --patch --kernel-source --kvm-version --cc --json --case-timeout --help" ;;
	replay) opts="--fastpath --plugin --kernel --patch --kernel-source --kvm-version --cc --case-timeout --help" ;;
	run) opts="--vcpus --fastpath --plugin --ap-wait-sipi --stat --trace --dump --json --set --max-insns --timeout-ms --slice --mem --append --console --cpu --diff --diff-plugin --save --help" ;;
	extract) opts="--kernel --patch --kernel-source --kvm-version -o --output --help" ;;
	decode) opts="--msr --help" ;;
	demo) opts="--quiet --help" ;;
	bench) opts="ipi --rounds --json --image --help" ;;
	*) opts="--help" ;;
	esac
	if [[ $cur == -* || $cmd == bench ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _x2sim x2sim
