//go:build !windows

#include "textflag.h"

// callRegisters is a C function for runtime.cgocall, which enters it on
// the system stack with the System V calling convention: DI holds a
// *registerCall. It loads the argument registers from the registerCall,
// calls its function and stores RAX and XMM0 back into it.
//
// The offsets below are those of registerCall in registers_amd64.go,
// which asserts them at compile time.
TEXT callRegisters<>(SB), NOSPLIT|NOFRAME, $0-0
	// Entry leaves SP 8 bytes below a 16-byte boundary. Two pushes and
	// an 8-byte adjustment realign it for the call.
	PUSHQ	BP
	MOVQ	SP, BP
	PUSHQ	BX // callee-saved, holds the *registerCall across the call
	SUBQ	$8, SP
	MOVQ	DI, BX

	MOVSD	56(BX), X0
	MOVSD	64(BX), X1
	MOVSD	72(BX), X2
	MOVSD	80(BX), X3
	MOVSD	88(BX), X4
	MOVSD	96(BX), X5
	MOVSD	104(BX), X6
	MOVSD	112(BX), X7

	MOVQ	8(BX), DI
	MOVQ	16(BX), SI
	MOVQ	24(BX), DX
	MOVQ	32(BX), CX
	MOVQ	40(BX), R8
	MOVQ	48(BX), R9

	// A variadic callee reads the number of vector registers in use
	// from AL.
	MOVQ	120(BX), AX
	MOVQ	0(BX), R10
	CALL	R10

	MOVQ	AX, 128(BX)
	MOVSD	X0, 136(BX)

	ADDQ	$8, SP
	POPQ	BX
	POPQ	BP
	RET

// callRegistersABI0 is the address of callRegisters, for runtime.cgocall.
GLOBL ·callRegistersABI0(SB), NOPTR|RODATA, $8
DATA ·callRegistersABI0(SB)/8, $callRegisters<>(SB)
