/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPI ping-pong: vCPU 0 sends PING (0x40) to vCPU 1, whose handler sends
 * PONG (0x41) back; `rounds` times (the runner may patch it).  Written
 * in assembly so that the handlers store nothing to memory: counters
 * live in callee-saved registers (stores are slow in Unicorn 2.0.1, and
 * the benchmark is meant to time exits, not stores).  The handlers
 * clobber RAX, RCX and RDX, which the main loops reload before use.
 */
#define PING 0x40
#define PONG 0x41

	.data
	.globl	rounds, pings, pongs
	.p2align 3
rounds:	.quad	1000
pings:	.quad	0
pongs:	.quad	0

	.text
	.globl	guest_main
guest_main:
	push	%rbx
	push	%r12
	push	%r13
	mov	%rdi, %rbx
	call	idt_load
	mov	$PING, %edi
	lea	ping_handler(%rip), %rsi
	call	idt_set_gate
	mov	$PONG, %edi
	lea	pong_handler(%rip), %rsi
	call	idt_set_gate
	mov	rounds(%rip), %r12
	xor	%r13d, %r13d
	cmp	$1, %rbx
	je	.Lcpu1
	test	%rbx, %rbx
	jnz	.Lout

/* vCPU 0: r13 = pongs seen; send a PING, sleep until its PONG. */
	xor	%ebx, %ebx		/* rounds sent */
.Lsend:
	cmp	%r12, %rbx
	jae	.Ldone0
	mov	$0x830, %ecx
	mov	$PING, %eax
	mov	$1, %edx
	wrmsr
	inc	%rbx
.Lwait0:
	cmp	%rbx, %r13
	jae	.Lsend
	sti
	hlt
	cli
	jmp	.Lwait0
.Ldone0:
	mov	%r13, pongs(%rip)
	jmp	.Lout

/* vCPU 1: r13 = pings seen; the handler answers each one. */
.Lcpu1:
	cmp	%r12, %r13
	jae	.Ldone1
	sti
	hlt
	cli
	jmp	.Lcpu1
.Ldone1:
	mov	%r13, pings(%rip)
.Lout:
	pop	%r13
	pop	%r12
	pop	%rbx
	ret

ping_handler:
	inc	%r13
	mov	$0x80b, %ecx		/* EOI */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x830, %ecx		/* PONG to vCPU 0 */
	mov	$PONG, %eax
	wrmsr
	iretq

pong_handler:
	inc	%r13
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	iretq

	.section .note.GNU-stack, "", @progbits
