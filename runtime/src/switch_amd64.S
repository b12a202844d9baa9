/* switch_amd64.S: the x86-64 context switch between Gs (and an M's scheduler stack, g0).
 *
 * goro_switch(Ctx* from, Ctx* to): pushes what the SysV ABI says a callee must preserve
 * (rbp rbx r12-r15, plus the MXCSR and x87 control words), stores rsp in from->sp (offset 0,
 * static_assert'ed in sched.h), loads to->sp and pops the same frame. Caller-saved registers are
 * already dead at the call, so nothing else is saved. The saved frame, from sp upwards:
 *   [0] mxcsr (low 32) | x87 cw (bits 32..47)   [1] r15 [2] r14 [3] r13 [4] r12 [5] rbx [6] rbp [7] return pc
 * so an outside unwinder finds a parked G's pc at sp+56 and its frame pointer at sp+48.
 *
 * goro_gstart: where a new G's first switch returns to. It clears rbp (the end of the frame
 * chain for unwinders), marks rip undefined for CFI unwinders, and calls goro_g_main, which
 * never returns.
 */
#if defined(__x86_64__)
        .text
        .globl  goro_switch
        .type   goro_switch, @function
        .p2align 4
goro_switch:
        .cfi_startproc
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset rbp, 0
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    (%rsi), %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   goro_switch, .-goro_switch

        .globl  goro_gstart
        .type   goro_gstart, @function
        .p2align 4
goro_gstart:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        call    goro_g_main
        ud2
        .cfi_endproc
        .size   goro_gstart, .-goro_gstart
#else
#error "goro: only x86-64 has a context switch so far"
#endif
        .section .note.GNU-stack,"",@progbits
