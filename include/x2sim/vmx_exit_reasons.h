/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim: every VMX basic exit reason (Intel SDM vol. 3, appendix C), as one
 * X-macro table.  Each row is X(number, KVM name suffix, SDM description).
 * The EXIT_REASON_* enum, the name table and the lists that sweeps and
 * fuzzers iterate are all generated from it.
 */
#ifndef X2SIM_VMX_EXIT_REASONS_H
#define X2SIM_VMX_EXIT_REASONS_H

#define X2S_VMX_EXIT_REASONS(X)                                              \
	X(0, EXCEPTION_NMI, "Exception or non-maskable interrupt (NMI)")   \
	X(1, EXTERNAL_INTERRUPT, "External interrupt")                     \
	X(2, TRIPLE_FAULT, "Triple fault")                                 \
	X(3, INIT_SIGNAL, "INIT signal")                                   \
	X(4, SIPI_SIGNAL, "Start-up IPI (SIPI)")                           \
	X(5, IO_SMI, "I/O system-management interrupt (SMI)")              \
	X(6, OTHER_SMI, "Other SMI")                                       \
	X(7, INTERRUPT_WINDOW, "Interrupt window")                         \
	X(8, NMI_WINDOW, "NMI window")                                     \
	X(9, TASK_SWITCH, "Task switch")                                   \
	X(10, CPUID, "CPUID")                                              \
	X(11, GETSEC, "GETSEC")                                            \
	X(12, HLT, "HLT")                                                  \
	X(13, INVD, "INVD")                                                \
	X(14, INVLPG, "INVLPG")                                            \
	X(15, RDPMC, "RDPMC")                                              \
	X(16, RDTSC, "RDTSC")                                              \
	X(17, RSM, "RSM")                                                  \
	X(18, VMCALL, "VMCALL")                                            \
	X(19, VMCLEAR, "VMCLEAR")                                          \
	X(20, VMLAUNCH, "VMLAUNCH")                                        \
	X(21, VMPTRLD, "VMPTRLD")                                          \
	X(22, VMPTRST, "VMPTRST")                                          \
	X(23, VMREAD, "VMREAD")                                            \
	X(24, VMRESUME, "VMRESUME")                                        \
	X(25, VMWRITE, "VMWRITE")                                          \
	X(26, VMOFF, "VMXOFF")                                             \
	X(27, VMON, "VMXON")                                               \
	X(28, CR_ACCESS, "Control-register accesses")                      \
	X(29, DR_ACCESS, "MOV DR")                                         \
	X(30, IO_INSTRUCTION, "I/O instruction")                           \
	X(31, MSR_READ, "RDMSR")                                           \
	X(32, MSR_WRITE, "WRMSR")                                          \
	X(33, INVALID_STATE, "VM-entry failure due to invalid guest state") \
	X(34, MSR_LOAD_FAIL, "VM-entry failure due to MSR loading")        \
	X(36, MWAIT_INSTRUCTION, "MWAIT")                                  \
	X(37, MONITOR_TRAP_FLAG, "Monitor trap flag")                      \
	X(39, MONITOR_INSTRUCTION, "MONITOR")                              \
	X(40, PAUSE_INSTRUCTION, "PAUSE")                                  \
	X(41, MCE_DURING_VMENTRY, "VM-entry failure due to machine-check event") \
	X(43, TPR_BELOW_THRESHOLD, "TPR below threshold")                  \
	X(44, APIC_ACCESS, "APIC access")                                  \
	X(45, EOI_INDUCED, "Virtualized EOI")                              \
	X(46, GDTR_IDTR, "Access to GDTR or IDTR")                         \
	X(47, LDTR_TR, "Access to LDTR or TR")                             \
	X(48, EPT_VIOLATION, "EPT violation")                              \
	X(49, EPT_MISCONFIG, "EPT misconfiguration")                       \
	X(50, INVEPT, "INVEPT")                                            \
	X(51, RDTSCP, "RDTSCP")                                            \
	X(52, PREEMPTION_TIMER, "VMX-preemption timer expired")            \
	X(53, INVVPID, "INVVPID")                                          \
	X(54, WBINVD, "WBINVD or WBNOINVD")                                \
	X(55, XSETBV, "XSETBV")                                            \
	X(56, APIC_WRITE, "APIC write")                                    \
	X(57, RDRAND, "RDRAND")                                            \
	X(58, INVPCID, "INVPCID")                                          \
	X(59, VMFUNC, "VMFUNC")                                            \
	X(60, ENCLS, "ENCLS")                                              \
	X(61, RDSEED, "RDSEED")                                            \
	X(62, PML_FULL, "Page-modification log full")                      \
	X(63, XSAVES, "XSAVES")                                            \
	X(64, XRSTORS, "XRSTORS")                                          \
	X(65, PCONFIG, "PCONFIG")                                          \
	X(66, SPP, "SPP-related event")                                    \
	X(67, UMWAIT, "UMWAIT")                                            \
	X(68, TPAUSE, "TPAUSE")                                            \
	X(69, LOADIWKEY, "LOADIWKEY")                                      \
	X(70, ENCLV, "ENCLV")                                              \
	X(72, ENQCMD_PASID_FAIL, "ENQCMD PASID translation failure")       \
	X(73, ENQCMDS_PASID_FAIL, "ENQCMDS PASID translation failure")     \
	X(74, BUS_LOCK, "Bus lock")                                        \
	X(75, NOTIFY, "Instruction timeout")                               \
	X(76, SEAMCALL, "SEAMCALL")                                        \
	X(77, TDCALL, "TDCALL")                                            \
	X(78, RDMSRLIST, "RDMSRLIST")                                      \
	X(79, WRMSRLIST, "WRMSRLIST")                                      \
	X(80, URDMSR, "URDMSR")                                            \
	X(81, UWRMSR, "UWRMSR")                                            \
	X(84, MSR_READ_IMM, "RDMSR with immediate operand")                \
	X(85, MSR_WRITE_IMM, "WRMSRNS with immediate operand")

enum vmx_exit_reason_basic {
#define X2S_EXIT_ENUM(nr, name, desc) EXIT_REASON_##name = nr,
	X2S_VMX_EXIT_REASONS(X2S_EXIT_ENUM)
#undef X2S_EXIT_ENUM
};

/* Bit 31 of the exit reason: VM-entry failure. */
#define VMX_EXIT_REASONS_FAILED_VMENTRY 0x80000000u
#define VMX_EXIT_REASON_BASIC_MASK 0xffffu
/* One past the highest basic exit reason in the table. */
#define X2S_VMX_EXIT_REASON_LIMIT 86

#endif /* X2SIM_VMX_EXIT_REASONS_H */
